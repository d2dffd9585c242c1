// Whether a string holds a template ({{ }} or {% %}), to be rendered when the task runs. A leaf:
// the argument checker (modules/schema.ts) asks it without depending on the expression engine.

export function isTemplated(s: string): boolean {
  return s.includes('{{') || s.includes('{%')
}
