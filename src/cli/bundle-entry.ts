// What bin/rm-play.js takes from the bundle (build/bundle.ts): a run, and the printing of an error
// that escaped it, from the same build (its InternalError and run context are the bundle's).
export { main } from './main.js'
export { internalErrorText } from './internal-error.js'
