// Building shell text safely: the quoting tagged template and here-documents. A leaf: it imports
// nothing of rm-play's; connection/ runs what is built here.
export { argv, code, DEFAULT_IFS, joinScripts, quote, Script, sh, type ShellValue, varName } from './sh.js'
export { heredocBytes } from './heredoc.js'
