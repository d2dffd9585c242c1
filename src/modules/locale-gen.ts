/**
 * locale_gen — make a locale available (or remove it), as community.general.locale_gen does.
 *
 * `name` is the locale as /etc/locale.gen spells it (`en_US.UTF-8`, `de_CH ISO-8859-1` is
 * `de_CH`). On Debian, state=present uncomments its line in /etc/locale.gen (absent comments it
 * out) and runs `locale-gen`; on Ubuntu (/var/lib/locales/supported.d) it runs `locale-gen NAME`
 * (absent: drops it from supported.d/local and runs `locale-gen --purge`). Whether the locale is
 * there is what `locale -a` says, so a locale enabled in the file but not generated is made. A
 * locale the host does not list as available fails, as does a host without the `locales` package.
 *
 *   - apt: { name: locales }
 *   - locale_gen: { name: en_US.UTF-8 }
 */
import { code, sh } from '../shell/index.js'
import { pathProbe } from '../probes/files.js'
import { localeProbe } from '../probes/locales.js'
import { destProbeOptions, planWrite } from './copy.js'
import { hostModule, ModuleFailure, type Change } from './types.js'

const LOCALE_GEN = '/etc/locale.gen'

// `locale -a` may spell the encoding in lower case: Ansible's fix_case table.
const NORMALIZE: [string, string][] = [
  ['.utf8', '.UTF-8'],
  ['.eucjp', '.EUC-JP'],
  ['.iso885915', '.ISO-8859-15'],
  ['.cp1251', '.CP1251'],
  ['.koi8r', '.KOI8-R'],
  ['.armscii8', '.ARMSCII-8'],
  ['.euckr', '.EUC-KR'],
  ['.gbk', '.GBK'],
  ['.gb18030', '.GB18030'],
  ['.euctw', '.EUC-TW'],
]
export const fixCase = (name: string) => NORMALIZE.reduce((n, [s, r]) => n.replaceAll(s, r), name)

/** Is `name` in the list of locales that can be made (commented out or not, on Debian)? */
export function isAvailable(list: string, name: string, ubuntu: boolean): boolean {
  const re = ubuntu ? /^(\S+_\S+) (\S+)\s*$/ : /^#?\s*(\S+_\S+) (\S+)\s*$/
  return list.split('\n').some((l) => re.exec(l)?.[1] === name)
}

/** /etc/locale.gen with the locale's line enabled or commented out (Ansible's set_locale, its regexp unescaped as there). */
export function setLocale(text: string, name: string, enabled: boolean): string {
  const re = new RegExp(`#?\\s*${name} (?<charset>[^\\n]+)`, 'g')
  return text
    .split(/(?<=\n)/)
    .map((l) => l.replace(re, (...m) => `${enabled ? '' : '# '}${name} ${(m.at(-1) as { charset: string }).charset}`))
    .join('')
}

export const localeGen = hostModule({
  kind: 'host',
  name: 'locale_gen',
  doc: 'Make a locale available with locale-gen (or remove it).',
  args: {
    options: {
      name: { type: 'str', required: true, doc: 'The locale, as /etc/locale.gen names it (en_US.UTF-8).' },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: 'present: generated; absent: not.' },
    },
  },
  returns: { name: 'the locale', msg: "'OK'" },
  probes: (_a, ctx) => ({ locales: localeProbe, file: pathProbe(LOCALE_GEN, destProbeOptions(ctx, true)) }),
  plan(a, { locales, file }, ctx): Change[] {
    if (locales.mode === 'none')
      return [
        {
          summary: `generate ${a.name}`,
          steps: [],
          needs: { msg: '/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "locales" installed?' },
        },
      ]
    const ubuntu = locales.mode === 'ubuntu'
    if (!isAvailable(locales.available, a.name, ubuntu)) throw new ModuleFailure("The locale you've entered is not available on your system.")
    const present = locales.installed.some((l) => fixCase(l) === fixCase(a.name))
    if (present === (a.state === 'present')) return []
    const verb = a.state === 'present' ? 'generate' : 'remove'
    if (ubuntu) {
      const script =
        a.state === 'present'
          ? sh`locale-gen ${a.name}`
          : sh`f=/var/lib/locales/supported.d/local; awk -v n=${a.name} '{ split($0, w, " "); if (w[1] != n) print }' "$f" > "$f.new" && cat "$f.new" > "$f" && rm -f "$f.new" && locale-gen --purge`
      return [{ summary: `${verb} locale ${a.name}`, steps: [{ kind: 'exec', script }] }]
    }
    const text = file.content?.toString('utf8') ?? ''
    const edited = setLocale(text, a.name, a.state === 'present')
    const write = edited === text ? [] : planWrite({ dest: LOCALE_GEN, content: Buffer.from(edited), follow: true, verb: 'edit' }, file, ctx)
    return [...write, { summary: `${verb} locale ${a.name} (locale-gen)`, steps: [{ kind: 'exec', script: code('locale-gen') }] }]
  },
  result: (a) => ({ name: a.name, msg: 'OK' }),
})
