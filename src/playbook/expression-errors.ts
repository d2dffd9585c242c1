// What every expression engine shares (the JavaScript one in expression.ts and the Jinja one in
// expression-jinja.ts): the scope a value is looked up in, and the errors an evaluation throws.

export interface ScopeSource {
  /** The value of a variable, or `notFound` when it is not defined. */
  lookup(name: string): unknown
}

export const notFound: unique symbol = Symbol('notFound')

export class UndefinedVariableError extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable '${variable}'`)
    this.name = 'UndefinedVariableError'
  }
}

export class ExpressionError extends Error {
  constructor(message: string, readonly expression: string) {
    super(message)
    this.name = 'ExpressionError'
  }
}
