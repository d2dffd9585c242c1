// Lazy views (`hostvars`, `hostvars[h]`) answer this symbol with a function that returns the
// plain value to keep: an expression's result is settled into data, and taint does not walk them.
export const SETTLE: unique symbol = Symbol('settle')
