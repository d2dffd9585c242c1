// A password written in a URL (https://user:PW@host/...) is split off: the URL a program sees
// (argv, .git/config) and the URL a person sees (summaries, errors) never hold it.
import { fedFrom } from '../shell/feed.js'
import { joinScripts, sh, type Script } from '../shell/index.js'

export interface UrlCredentials {
  /** The URL without its password (the user name stays): what goes on a command line. */
  url: string
  /** The URL with its password masked: what is shown. */
  shown: string
  /** The password, decoded as a client decodes it (%40 is @), when the URL had one. */
  password?: string
}

const MASKED = '********'
// scheme://userinfo@rest, where userinfo runs to the last @ before the first / after the scheme.
const WITH_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)@([^@/?#]*(?:[/?#].*)?)$/s

export function splitUrlCredentials(raw: string): UrlCredentials {
  const m = WITH_USERINFO.exec(raw)
  if (!m) return { url: raw, shown: raw }
  const [, scheme, userinfo, rest] = m
  const colon = userinfo!.indexOf(':')
  if (colon < 0) return { url: raw, shown: raw }
  const user = userinfo!.slice(0, colon)
  const encoded = userinfo!.slice(colon + 1)
  let password: string
  try {
    password = decodeURIComponent(encoded)
  } catch {
    password = encoded
  }
  const at = user === '' ? '' : `${user}@`
  return { url: `${scheme}${at}${rest}`, shown: `${scheme}${user}:${MASKED}@${rest}`, password }
}

/** The URL as it may be shown: its password, if any, masked. */
export function maskUrl(raw: string): string {
  return splitUrlCredentials(raw).shown
}

/**
 * Shell lines that make `password` the answer of GIT_ASKPASS for the rest of the script: a 0700
 * directory from mktemp holds the password (0600, written from a here-document, so it is never an
 * argument of any process) and a helper that prints it; the directory goes when the (sub)shell
 * exits. Git asks only when the server wants a password.
 */
export function askpassLines(password: string): Script {
  return joinScripts([
    sh`rmp_cred=$(umask 077 && mktemp -d) || exit 1`,
    sh`trap 'rm -rf -- "$rmp_cred"' EXIT`,
    sh`(umask 077 && ${fedFrom(password, 'RMP_ASKPASS', sh`cat >"$rmp_cred/pw"`)}
) || exit 1`,
    sh`printf '%s\\n' '#!/bin/sh' 'exec cat -- "$(dirname -- "$0")/pw"' >"$rmp_cred/askpass" && chmod 700 -- "$rmp_cred/askpass" || exit 1`,
    sh`GIT_ASKPASS="$rmp_cred/askpass"; export GIT_ASKPASS`,
  ])
}
