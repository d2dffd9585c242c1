// What the expression layer shares with its callers: the scope a value is looked up in, the
// errors an evaluation throws, and rm-play's `omit` marker.

export interface ScopeSource {
  /** The value of a variable, or `notFound` when it is not defined. */
  lookup(name: string): unknown
  /** The names it defines, when it can list them (for "did you mean" on an undefined one). */
  names?(): string[]
}

export const notFound: unique symbol = Symbol('notFound')

export class UndefinedVariableError extends Error {
  constructor(
    readonly variable: string,
    /** the defined name nearest to it, when one is close enough to be a typo */
    readonly suggestion?: string,
  ) {
    super(`undefined variable '${variable}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`)
    this.name = 'UndefinedVariableError'
  }
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message)
    this.name = 'ExpressionError'
  }
}

/** What `{{ omit }}` renders to: the key holding it is left out of the module's arguments. */
export const OMIT = Object.freeze({ __omit__: true })
