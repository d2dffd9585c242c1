// Pure pieces of the connection layer: quoting, framing, known_hosts, ssh argument parsing,
// the probe batch format; and the framed shell itself over a local process.
import { expect } from 'chai'
import { createHmac, randomBytes } from 'node:crypto'
import { LocalConnection } from '../../src/connection/local.js'
import { appendKnownHost, hostMatches, lookupName, parseKnownHosts, readKnownHosts, verifyHostKey } from '../../src/connection/known-hosts.js'
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { quote } from '../../src/shell/index.js'
import { parseSshArgs } from '../../src/engine/connect.js'
import { batchScript, splitBatchOutput } from '../../src/engine/probe-batch.js'
import { tail } from '../../src/text/tail.js'
import { code } from '../../src/shell/index.js'

describe('quoting', () => {
  const nasty = [`it's`, '$(rm -rf /)', '`id`', 'a b', '', '"x"', '\\n', 'ünï', "'; echo pwned; '"]
  it('survives a real shell unchanged', async () => {
    const c = new LocalConnection('local')
    try {
      for (const s of nasty) expect((await c.exec(code(`printf %s ${quote(s)}`))).stdout).to.equal(s)
    } finally {
      await c.close()
    }
  })
})

describe('the framed shell', () => {
  it('separates stdout, stderr and exit codes of consecutive commands, binary-safe stdin', async () => {
    const c = new LocalConnection('local')
    try {
      expect(await c.exec(code('printf abc; echo err >&2; exit 3'))).to.deep.equal({ code: 3, stdout: 'abc', stderr: 'err\n' })
      const bin = randomBytes(3000)
      const r = await c.exec(code('od -An -tx1 | tr -d " \\n"'), { stdin: bin })
      expect(r.stdout).to.equal(bin.toString('hex'))
      expect((await c.exec(code('echo $A; pwd'), { env: { A: "x'y" }, cwd: '/usr' })).stdout).to.equal("x'y\n/usr\n")
      const both = await Promise.all([c.exec(code('sleep 0.1; echo a')), c.exec(code('echo b'))])
      expect(both.map((x) => x.stdout)).to.deep.equal(['a\n', 'b\n'])
      // a command that exits the shell it runs in does not kill the session
      await c.exec(code('exit 7'))
      expect((await c.exec(code('echo still here'))).stdout).to.equal('still here\n')
    } finally {
      await c.close()
    }
  })
})

describe('known_hosts', () => {
  const key = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64')
  const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIBBBqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64')
  const salt = randomBytes(20)
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.7').digest('base64')}`
  const entries = parseKnownHosts(
    `# comment\n10.0.0.5,web1 ssh-ed25519 ${key.toString('base64')}\n[10.0.0.6]:2222 ssh-ed25519 ${key.toString('base64')}\n${hashed} ssh-ed25519 ${key.toString('base64')}\n@revoked * ssh-ed25519 ${other.toString('base64')}\n`,
  )
  it('matches plain, port and hashed names', () => {
    expect(verifyHostKey(entries, '10.0.0.5', key)).to.equal('match')
    expect(verifyHostKey(entries, lookupName('10.0.0.6', 2222), key)).to.equal('match')
    expect(verifyHostKey(entries, '10.0.0.7', key)).to.equal('match')
  })
  it('tells unknown hosts from mismatched and revoked keys', () => {
    expect(verifyHostKey(entries, '10.9.9.9', key)).to.equal('unknown')
    expect(verifyHostKey(entries, '10.0.0.5', Buffer.from('AAAA', 'base64'))).to.equal('mismatch')
    expect(verifyHostKey(entries, '10.0.0.5', other)).to.equal('revoked')
  })
  it('globs and negation', () => {
    expect(hostMatches('*.example.com,!bad.example.com', 'a.example.com')).to.equal(true)
    expect(hostMatches('*.example.com,!bad.example.com', 'bad.example.com')).to.equal(false)
  })
  it('a file read once per run is read again when it changes (another process, or our own append)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-'))
    const file = join(dir, 'known_hosts')
    try {
      writeFileSync(file, `10.0.0.5 ssh-ed25519 ${key.toString('base64')}\n`)
      expect(verifyHostKey(readKnownHosts(file), '10.0.0.5', key)).to.equal('match')
      expect(verifyHostKey(readKnownHosts(file), '10.0.0.8', key)).to.equal('unknown')
      appendFileSync(file, `10.0.0.8 ssh-ed25519 ${key.toString('base64')}\n`)
      expect(verifyHostKey(readKnownHosts(file), '10.0.0.8', key)).to.equal('match')
      appendKnownHost(file, '10.0.0.9', key)
      expect(verifyHostKey(readKnownHosts(file), '10.0.0.9', key)).to.equal('match')
      // rewritten in place (a key replaced): the new key counts
      writeFileSync(file, `10.0.0.5 ssh-ed25519 ${other.toString('base64')}\n`)
      expect(verifyHostKey(readKnownHosts(file), '10.0.0.5', key)).to.equal('mismatch')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('ssh arguments from the inventory', () => {
  it('reads -o options, -i and -p', () => {
    expect(parseSshArgs('-o UserKnownHostsFile=/x/kh -o StrictHostKeyChecking=accept-new -i ~/.ssh/k -p 2200 -oConnectTimeout=5')).to.deep.equal({
      options: { userknownhostsfile: '/x/kh', stricthostkeychecking: 'accept-new', connecttimeout: '5' },
      identity: '~/.ssh/k',
      port: 2200,
    })
  })
  it('splits words as a shell does: quotes inside a word, escapes, and an unterminated quote is an error', () => {
    expect(parseSshArgs(`-o ProxyCommand="ssh -W %h:%p bastion" -o 'UserKnownHostsFile=/a b/kh' -i /k\\ 1`)).to.deep.equal({
      options: { proxycommand: 'ssh -W %h:%p bastion', userknownhostsfile: '/a b/kh' },
      identity: '/k 1',
      port: undefined,
    })
    expect(() => parseSshArgs(`-o "ProxyCommand=x`)).to.throw(/ansible_ssh_common_args.*unterminated double quote/)
  })
})

describe('the tail of an output, for error messages', () => {
  it('keeps the last lines, drops leading blank lines and trailing whitespace, keeps indentation', () => {
    expect(tail('a\nb\nc\nd\n\n', 2)).to.equal('c\nd')
    expect(tail('\n\n  E: no such package\n', 5)).to.equal('  E: no such package')
    expect(tail(' \n\t\n', 3)).to.equal('')
  })
})

describe('probe batches', () => {
  it('splits each probe output and exit code back out', async () => {
    const probes = [
      { id: 'a', script: code('echo one; echo two'), parse: () => 0 },
      { id: 'b', script: code('printf no-newline; exit 4'), parse: () => 0 },
      { id: 'c', script: code('exit 0'), parse: () => 0 },
    ]
    const c = new LocalConnection('local')
    try {
      const r = await c.exec(batchScript(probes, 'tok'))
      expect(splitBatchOutput(r.stdout, 3, 'tok')).to.deep.equal([
        { stdout: 'one\ntwo\n', code: 0 },
        { stdout: 'no-newline', code: 4 },
        { stdout: '', code: 0 },
      ])
      // cut short (the shell died in the second probe): what came whole is kept, the rest is missing
      const cut = r.stdout.slice(0, r.stdout.indexOf('no-newline') + 3)
      expect(splitBatchOutput(cut, 3, 'tok')).to.deep.equal([
        { stdout: 'one\ntwo\n', code: 0 },
        { stdout: '', code: -1 },
        { stdout: '', code: -1 },
      ])
    } finally {
      await c.close()
    }
  })
})

describe('the put step (atomic file writes)', () => {
  it('never writes into a directory a symlink points to, keeps the other half of owner:group, honours the umask for new files', async () => {
    const { putScript } = await import('../../src/connection/put-file.js')
    const { mkdtempSync, mkdirSync, symlinkSync, lstatSync, readFileSync, statSync } = await import('node:fs')
    const { join } = await import('node:path')
    const d = mkdtempSync('/tmp/rmp-put-')
    mkdirSync(join(d, 'realdir'))
    symlinkSync(join(d, 'realdir'), join(d, 'link'))
    const c = new LocalConnection('local')
    try {
      let r = await c.exec(putScript({ kind: 'put', path: join(d, 'link'), content: 'hello' }), { stdin: 'hello' })
      expect(r.code, r.stderr).to.equal(0)
      expect(lstatSync(join(d, 'link')).isFile()).to.equal(true)
      expect(readFileSync(join(d, 'link'), 'utf8')).to.equal('hello')
      r = await c.exec(code(`umask 027; ${putScript({ kind: 'put', path: join(d, 'new'), content: 'x' })}`), { stdin: 'x' })
      expect((statSync(join(d, 'new')).mode & 0o777).toString(8)).to.equal('640')
      await c.exec(code(`chgrp nogroup ${join(d, 'new')}`))
      r = await c.exec(putScript({ kind: 'put', path: join(d, 'new'), content: 'y', owner: 'root' }), { stdin: 'y' })
      expect((await c.exec(code(`stat -c '%U:%G %a' ${join(d, 'new')}`))).stdout.trim()).to.equal('root:nogroup 640')
      r = await c.exec(putScript({ kind: 'put', path: join(d, 'copy'), content: '', from: join(d, 'new') }))
      expect(readFileSync(join(d, 'copy'), 'utf8')).to.equal('y')
    } finally {
      await c.close()
    }
  })
})
