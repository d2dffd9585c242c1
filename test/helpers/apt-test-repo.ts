// A tiny APT repository made on the controller for the apt_repository and apt_key tests: one
// package built with dpkg-deb, a flat repository (Packages, Release, and InRelease signed by a
// fresh gpg key), copied into lab hosts' roots, where `deb file:/srv/... ./` lines can use it.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readState } from '../../src/lab/index.js'

export interface TestRepo {
  /** The repository's files (Packages, Release, InRelease, the .deb). */
  dir: string
  /** The signing key, ASCII-armored and binary. */
  keyAsc: string
  keyGpg: Buffer
  /** The key's 40-hex fingerprint and its 16-hex long id. */
  fingerprint: string
  longId: string
  remove(): void
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** Builds `pkg` (version 1.0, architecture all) into a signed flat repository. */
export function makeTestRepo(pkg: string): TestRepo {
  const root = mkdtempSync(join(tmpdir(), 'rmp-apt-repo-'))
  const build = join(root, 'pkg')
  const dir = join(root, 'repo')
  const gnupg = join(root, 'gnupg')
  mkdirSync(join(build, 'DEBIAN'), { recursive: true })
  mkdirSync(join(build, 'usr/share', pkg), { recursive: true })
  mkdirSync(dir)
  mkdirSync(gnupg, { mode: 0o700 })
  writeFileSync(
    join(build, 'DEBIAN/control'),
    `Package: ${pkg}\nVersion: 1.0\nArchitecture: all\nMaintainer: rm-play tests <tests@rm-play.invalid>\nDescription: a package from the test repository\n`,
  )
  writeFileSync(join(build, 'usr/share', pkg, 'hello'), 'hello\n')
  const deb = `${pkg}_1.0_all.deb`
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', build, join(dir, deb)], { stdio: 'ignore' })
  const debBytes = readFileSync(join(dir, deb))
  const control = execFileSync('dpkg-deb', ['-f', join(dir, deb)], { encoding: 'utf8' })
  const packages = `${control.trimEnd()}\nFilename: ./${deb}\nSize: ${debBytes.length}\nSHA256: ${sha256(debBytes)}\n`
  writeFileSync(join(dir, 'Packages'), packages)
  const release = `Origin: rm-play tests\nLabel: rm-play tests\nDate: ${new Date().toUTCString().replace('GMT', '+0000')}\nSHA256:\n ${sha256(Buffer.from(packages))} ${Buffer.byteLength(packages)} Packages\n`
  writeFileSync(join(dir, 'Release'), release)
  const env = { ...process.env, GNUPGHOME: gnupg }
  const gpg = (args: string[]) => execFileSync('gpg', ['--batch', '--quiet', ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    gpg(['--passphrase', '', '--quick-gen-key', 'rm-play test repository <repo@rm-play.invalid>', 'ed25519', 'sign', 'never'])
    gpg(['--yes', '--clearsign', '-o', join(dir, 'InRelease'), join(dir, 'Release')])
    const keyAsc = gpg(['--armor', '--export']).toString()
    const keyGpg = gpg(['--export'])
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-keys']).toString())![1]!
    return { dir, keyAsc, keyGpg, fingerprint, longId: fingerprint.slice(-16), remove: () => rmSync(root, { recursive: true, force: true }) }
  } finally {
    execFileSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' })
  }
}

/** A path inside a lab host's root, seen from the controller (through its pid 1's /proc/PID/root). */
function inHost(lab: string, host: string, path: string): string {
  const pid = readState(lab)!.hosts.find((h) => h.name === host)!.init!.pid
  return `/proc/${pid}/root${path}`
}

/** Copies a controller directory into a lab host. */
export function copyIntoHost(lab: string, host: string, from: string, to: string): void {
  cpSync(from, inHost(lab, host, to), { recursive: true })
}

/** Writes a file in a lab host. */
export function writeIntoHost(lab: string, host: string, path: string, content: string | Buffer): void {
  writeFileSync(inHost(lab, host, path), content)
}
