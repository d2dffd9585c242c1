// The end of a command's output or a log, for an error message: the last lines say what went wrong.

/** The last `n` lines of `text`, without leading blank lines or trailing whitespace. */
export function tail(text: string, n: number): string {
  return text
    .replace(/^\s*\n/, '')
    .trimEnd()
    .split('\n')
    .slice(-n)
    .join('\n')
}
