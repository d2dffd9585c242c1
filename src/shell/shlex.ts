// POSIX-shell-like word splitting for `command:` (which, as in Ansible, runs without a shell).
export function shlexSplit(s: string): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === "'") {
      const j = s.indexOf("'", i + 1)
      if (j < 0) throw new Error('unterminated single quote')
      cur += s.slice(i + 1, j)
      i = j
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`\n'.includes(s[j + 1]!)) j++
        cur += s[j]
      }
      if (j >= s.length) throw new Error('unterminated double quote')
      i = j
      inWord = true
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) out.push(cur)
  return out
}
