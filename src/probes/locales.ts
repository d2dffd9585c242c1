// What locale_gen reads: how the host manages locales (Debian's /etc/locale.gen or Ubuntu's
// /var/lib/locales/supported.d), the locales it can make, and those it has (`locale -a`).
import { code } from '../shell/index.js'
import type { Probe } from '../contract/types.js'
import { sections } from './output.js'

export interface LocaleState {
  /** debian: /etc/locale.gen; ubuntu: /var/lib/locales/supported.d; none: the locales package is missing. */
  mode: 'debian' | 'ubuntu' | 'none'
  /** The list of locales that can be made: /etc/locale.gen (debian) or /usr/share/i18n/SUPPORTED (ubuntu). */
  available: string
  /** What `locale -a` prints, one per line. */
  installed: string[]
}

export const localeProbe: Probe<LocaleState> = {
  id: 'locales',
  script:
    code(`if [ -d /var/lib/locales/supported.d/ ]; then m=ubuntu; f=/usr/share/i18n/SUPPORTED; elif [ -e /etc/locale.gen ]; then m=debian; f=/etc/locale.gen; else m=none; f=; fi
echo "@@mode"; echo "$m"
echo "@@installed"; locale -a 2>/dev/null
echo "@@available"; if [ -n "$f" ]; then cat -- "$f" 2>/dev/null; fi
exit 0`),
  parse: (o) => parseLocales(o.stdout),
}

export function parseLocales(out: string): LocaleState {
  const s = sections(out)
  const mode = (s.get('mode') ?? '').trim()
  return {
    mode: mode === 'debian' || mode === 'ubuntu' ? mode : 'none',
    available: s.get('available') ?? '',
    installed: (s.get('installed') ?? '').split('\n').filter(Boolean),
  }
}
