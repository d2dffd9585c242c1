// ANSI colours, or none: one object so reporters never check for a TTY themselves.
export interface Paint {
  green(s: string): string
  yellow(s: string): string
  red(s: string): string
  cyan(s: string): string
  magenta(s: string): string
  dim(s: string): string
  bold(s: string): string
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`

export const colours: Paint = {
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  red: wrap(31, 39),
  cyan: wrap(36, 39),
  magenta: wrap(35, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
}

const id = (s: string) => s
export const noColours: Paint = { green: id, yellow: id, red: id, cyan: id, magenta: id, dim: id, bold: id }
