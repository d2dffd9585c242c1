// Check mode's unknown values: the registered result of a command that did not run. A leaf, so
// that the expression layer can tell them apart without importing the variable scopes.

/** Marks a value that check mode could not produce (the registered result of a command that did not run). */
export const UNKNOWN: unique symbol = Symbol('unknown-in-check-mode')

export function markUnknown<T extends object>(v: T): T {
  Object.defineProperty(v, UNKNOWN, { value: true, enumerable: false })
  return v
}

export function isUnknown(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as { [UNKNOWN]?: boolean })[UNKNOWN] === true
}
