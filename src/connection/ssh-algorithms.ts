// Which SSH algorithms rm-play offers, and whether a negotiated set is safe. Pure data and
// functions: ssh.ts hands the result to ssh2.
//
// Offered by default: curve25519/ECDH/group-exchange-sha256/group14+-sha256/512 key exchange;
// ed25519, ECDSA and RSA-SHA2 host keys; AES-GCM and AES-CTR ciphers; SHA-2 MACs. Never by default:
// diffie-hellman-group1-sha1, group14-sha1, group-exchange-sha1 (weak/SHA-1), ssh-rsa and ssh-dss host
// keys (SHA-1 signatures), CBC ciphers, arcfour, 3DES, chacha20-poly1305 (Terrapin, below), SHA-1
// and MD5 MACs. OpenSSH's own options change the lists, in ansible_ssh_common_args /
// ansible_ssh_extra_args: `-o KexAlgorithms=...`, `-o HostKeyAlgorithms=...`, `-o Ciphers=...`,
// `-o MACs=...`, each a list that replaces the default, or `+a,b` (append), `-a,b` (remove), `^a,b`
// (put first), as in ssh_config(5); only names ssh2 implements are accepted.
//
// Terrapin (CVE-2023-48795): the prefix-truncation attack needs chacha20-poly1305, or a CBC cipher
// with an encrypt-then-MAC MAC, negotiated with a server without strict key exchange (OpenSSH
// before 9.6 and unpatched backports). ssh2 (>= 1.15) does strict key exchange whenever the server
// offers it; when it does not and one of those combinations was negotiated anyway (because they were
// asked for), rm-play refuses the connection.

export interface Algorithms {
  kex: string[]
  serverHostKey: string[]
  cipher: string[]
  hmac: string[]
}

export const SAFE_ALGORITHMS: Readonly<Algorithms> = Object.freeze({
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group-exchange-sha256',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
})

/** Everything ssh2 1.17 implements (what a user may ask for), by list. */
const IMPLEMENTED: Readonly<Algorithms> = {
  kex: [
    ...SAFE_ALGORITHMS.kex,
    'diffie-hellman-group15-sha512',
    'diffie-hellman-group17-sha512',
    'diffie-hellman-group-exchange-sha1',
    'diffie-hellman-group14-sha1',
    'diffie-hellman-group1-sha1',
  ],
  serverHostKey: [...SAFE_ALGORITHMS.serverHostKey, 'ssh-rsa', 'ssh-dss'],
  cipher: [
    ...SAFE_ALGORITHMS.cipher,
    'chacha20-poly1305@openssh.com',
    'aes256-cbc',
    'aes192-cbc',
    'aes128-cbc',
    'blowfish-cbc',
    '3des-cbc',
    'aes128-gcm',
    'aes256-gcm',
    'arcfour256',
    'arcfour128',
    'cast128-cbc',
    'arcfour',
  ],
  hmac: [
    ...SAFE_ALGORITHMS.hmac,
    'hmac-sha1-etm@openssh.com',
    'hmac-sha1',
    'hmac-md5',
    'hmac-sha2-256-96',
    'hmac-sha2-512-96',
    'hmac-ripemd160',
    'hmac-sha1-96',
    'hmac-md5-96',
  ],
}

/** The ssh_config option that changes each list (lower case, as parseSshArgs keys them). */
const OPTION: Record<keyof Algorithms, string> = { kex: 'kexalgorithms', serverHostKey: 'hostkeyalgorithms', cipher: 'ciphers', hmac: 'macs' }

/** One list after an ssh_config-style value: `a,b` replaces, `+a` appends, `-a` removes, `^a` puts first. */
function applyOption(list: keyof Algorithms, value: string): string[] {
  const base = SAFE_ALGORITHMS[list]
  const op = /^[+\-^]/.test(value) ? value[0] : ''
  const names = value
    .slice(op ? 1 : 0)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = names.filter((n) => !IMPLEMENTED[list].includes(n) && !(op === '-' && base.includes(n)))
  if (unknown.length)
    throw new Error(`-o ${OPTION[list]}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported (known: ${IMPLEMENTED[list].join(', ')})`)
  let out: string[]
  if (op === '+') out = [...base, ...names.filter((n) => !base.includes(n))]
  else if (op === '-') out = base.filter((n) => !names.includes(n))
  else if (op === '^') out = [...names, ...base.filter((n) => !names.includes(n))]
  else out = names
  if (!out.length) throw new Error(`-o ${OPTION[list]}=${value} leaves no algorithm to offer`)
  return out
}

/** The algorithms to offer, from the `-o` options of ansible_ssh_common_args/extra_args (lower-case keys). */
export function algorithmsFor(options: Readonly<Record<string, string>>): Algorithms {
  const out = {} as Algorithms
  for (const list of Object.keys(OPTION) as (keyof Algorithms)[]) {
    const v = options[OPTION[list]]
    out[list] = v === undefined ? [...SAFE_ALGORITHMS[list]] : applyOption(list, v)
  }
  return out
}

export interface Negotiated {
  cipher: string
  mac: string
}

/** Why a negotiated direction is open to Terrapin without strict key exchange; undefined when it is not. */
export function terrapinProblem(n: Negotiated, strictKex: boolean): string | undefined {
  if (strictKex) return undefined
  if (n.cipher === 'chacha20-poly1305@openssh.com') return `${n.cipher} without strict key exchange`
  if (/-cbc$/.test(n.cipher) && /-etm@openssh\.com$/.test(n.mac)) return `${n.cipher} with ${n.mac} without strict key exchange`
  return undefined
}
