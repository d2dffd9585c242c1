// Archive and download probes: parsers on outputs recorded on a lab host (Debian 12: GNU tar,
// xz-utils, no unzip, no curl), zip central directories read on the controller, and the
// download commands (no secret on a command line).
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  downloadCommand,
  formatOfMagic,
  memberName,
  parseDestEntries,
  parseRemoteArchive,
  parseRemoteChecksum,
  parseTarListing,
  parseTools,
  parseZipListing,
  readZipMembers,
  remoteChecksumProbe,
  topLevels,
  urlFileName,
} from '../../../src/probes/archive.js'

const T = Date.parse('2026-11-29T13:07:42Z') / 1000
// remoteArchiveProbe('/root/t.txz', '/root/d') after extracting it and changing app/hard (a hard link pair).
const TXZ =
  '@magic fd377a585a00\n@list\ndrwxr-xr-x root/root         0 2026-11-29 13:07:42 app/\nlrwxrwxrwx root/root         0 2026-11-29 13:07:42 app/link -> a.txt\ndrwxr-xr-x root/root         0 2026-11-29 13:07:42 app/sub/\n-rw-r--r-- root/root         6 2026-11-29 13:07:42 app/sub/b c.txt\n-rw-r--r-- root/root         3 2026-11-29 13:07:42 app/hard\nhrw-r--r-- root/root         0 2026-11-29 13:07:42 app/a.txt link to app/hard\n@dest\nd 755 4096 1795957662.0000000000 0 0 root root\t./app/\nl 777 5 1795957662.0000000000 0 0 root root\t./app/link\nd 755 4096 1795957662.0000000000 0 0 root root\t./app/sub/\nf 644 6 1795957662.0000000000 0 0 root root\t./app/sub/b c.txt\nf 644 8 1795958538.3293197720 0 0 root root\t./app/hard\nf 644 8 1795958538.3293197720 0 0 root root\t./app/a.txt\n'
const ZIP_NO_UNZIP = '@magic 504b03040a00\n@error unzip is not installed on the host\n'
// unzip -Z -l -T of a zip made with `zip -qry t.zip app` (directories, a symlink, a name with spaces).
const ZIPINFO =
  'Archive:  t.zip\nZip file size: 911 bytes, number of entries: 6\ndrwxr-xr-x  3.0 unx        0 bx        0 stor 20261129.130742 app/\nlrwxrwxrwx  3.0 unx        5 bx        5 stor 20261129.130742 app/link\ndrwxr-xr-x  3.0 unx        0 bx        0 stor 20261129.130742 app/sub/\n-rw-r--r--  3.0 unx        6 tx        6 stor 20261129.130742 app/sub/b c.txt\n-rw-r--r--  3.0 unx        3 tx        3 stor 20261129.130742 app/hard\n-rw-r--r--  3.0 unx        3 tx        3 stor 20261129.130742 app/a.txt\n6 files, 17 bytes uncompressed, 17 bytes compressed:  0.0%\n'

describe('probes/archive: listings', () => {
  it('GNU tar: types, sizes, UTC times, modes; links and hard links keep their targets', () => {
    const st = parseRemoteArchive({ stdout: TXZ, code: 0 })
    expect(st.format).to.equal('tar')
    expect(st.compression).to.equal('xz')
    expect(st.members).to.deep.equal([
      { name: 'app', type: 'directory', mtime: T, mode: '0755' },
      { name: 'app/link', type: 'link', mtime: T, mode: '0777', target: 'a.txt' },
      { name: 'app/sub', type: 'directory', mtime: T, mode: '0755' },
      { name: 'app/sub/b c.txt', type: 'file', mtime: T, mode: '0644', size: 6 },
      { name: 'app/hard', type: 'file', mtime: T, mode: '0644', size: 3 },
      { name: 'app/a.txt', type: 'hardlink', mtime: T, mode: '0644', target: 'app/hard' },
    ])
    expect(st.entries['app/hard']).to.deep.include({ type: 'file', size: 8, mode: '0644', owner: 'root' })
    expect(st.entries['app/sub']!.type).to.equal('directory')
    expect(Object.keys(st.entries)).to.have.length(6)
  })
  it('special bits and minute-only times', () => {
    expect(parseTarListing('-rwsr-sr-T 1000/1000  12 2024-01-02 03:04 bin/x\n')).to.deep.equal([
      { name: 'bin/x', type: 'file', size: 12, mtime: Date.parse('2024-01-02T03:04:00Z') / 1000, mode: '7754' },
    ])
  })
  it('zipinfo: directories by their slash, links, sizes, no times', () => {
    expect(parseZipListing(ZIPINFO)).to.deep.equal([
      { name: 'app', type: 'directory', mode: '0755' },
      { name: 'app/link', type: 'link', mode: '0777' },
      { name: 'app/sub', type: 'directory', mode: '0755' },
      { name: 'app/sub/b c.txt', type: 'file', mode: '0644', size: 6 },
      { name: 'app/hard', type: 'file', mode: '0644', size: 3 },
      { name: 'app/a.txt', type: 'file', mode: '0644', size: 3 },
    ])
  })
  it('missing programs, missing archives', () => {
    expect(parseRemoteArchive({ stdout: ZIP_NO_UNZIP, code: 0 })).to.deep.equal({ format: 'zip', error: 'unzip is not installed on the host', entries: {} })
    expect(parseRemoteArchive({ stdout: '@missing\n', code: 0 })).to.deep.equal({ missing: true, entries: {} })
  })
  it('the archive format comes from the first bytes', () => {
    expect(formatOfMagic('504b03040a00')).to.deep.equal({ format: 'zip' })
    expect(formatOfMagic('1f8b0800')).to.deep.equal({ format: 'tar', compression: 'gzip' })
    expect(formatOfMagic('fd377a585a00')).to.deep.equal({ format: 'tar', compression: 'xz' })
    expect(formatOfMagic('425a6839')).to.deep.equal({ format: 'tar', compression: 'bzip2' })
    expect(formatOfMagic('28b52ffd')).to.deep.equal({ format: 'tar', compression: 'zstd' })
    expect(formatOfMagic('61707000')).to.deep.equal({ format: 'tar' })
  })
  it('names: ./ and trailing slashes go; top-level entries', () => {
    expect(['./app/', 'app', './', '././x/y/'].map(memberName)).to.deep.equal(['app', 'app', '.', 'x/y'])
    expect(topLevels(['app', 'app/a', 'etc/x', 'README'])).to.deep.equal(['README', 'app', 'etc'])
  })
  it('dest entries (find -printf)', () => {
    const e = parseDestEntries('d 2750 4096 1795957662.5 33 33 www-data www-data\t./srv\nf 644 3 1.0 1001 1001 1001 1001\t./srv/x\n')
    expect(e).to.deep.equal({
      srv: { type: 'directory', mode: '2750', size: 4096, mtime: 1795957662.5, uid: 33, gid: 33, owner: 'www-data', group: 'www-data' },
      'srv/x': { type: 'file', mode: '0644', size: 3, mtime: 1, uid: 1001, gid: 1001, owner: '1001', group: '1001' },
    })
  })
})

describe('probes/archive: zip central directory on the controller', () => {
  it('reads what zip wrote: directories, files with sizes and modes, symlinks', () => {
    const d = mkdtempSync(join(tmpdir(), 'rmp-zip-'))
    mkdirSync(join(d, 'app', 'sub'), { recursive: true })
    writeFileSync(join(d, 'app', 'a.txt'), 'hello\n')
    writeFileSync(join(d, 'app', 'sub', 'b c.txt'), 'x'.repeat(1000))
    symlinkSync('a.txt', join(d, 'app', 'link'))
    execFileSync('zip', ['-qry', 't.zip', 'app'], { cwd: d })
    const members = readZipMembers(readFileSync(join(d, 't.zip')))
    const byName = Object.fromEntries(members.map((m) => [m.name, m]))
    expect(byName.app).to.deep.include({ type: 'directory' })
    expect(byName['app/a.txt']).to.deep.include({ type: 'file', size: 6 })
    expect(byName['app/sub/b c.txt']).to.deep.include({ type: 'file', size: 1000 })
    expect(byName['app/link']).to.deep.include({ type: 'link' })
    expect(() => readZipMembers(Buffer.from('not a zip at all, really not a zip file'))).to.throw(/not a zip file/)
  })
})

describe('probes/archive: downloads', () => {
  const o = { url: 'https://h.example/a b.tgz', headers: { 'X-Token': 'abc"1' }, timeout: 7, validateCerts: false, username: 'deploy', password: "pa'ss" }
  it('curl reads its options, credentials included, from stdin', () => {
    const d = downloadCommand('curl', o)
    expect(d.cmd.text).to.equal('curl -K - -o "$tmp"')
    expect(d.stdin).to.include('url = "https://h.example/a b.tgz"\n')
    expect(d.stdin).to.include('user = "deploy:pa\'ss"\n')
    expect(d.stdin).to.include('header = "X-Token: abc\\"1"\n')
    expect(d.stdin).to.include('insecure\n')
    expect(d.stdin).to.include('connect-timeout = 7\n')
  })
  it('wget reads a wgetrc from stdin; python3 a JSON document', () => {
    const w = downloadCommand('wget', o)
    expect(w.cmd.text).to.include(`(umask 077; cat > "$tmp.rc")\nif wget -nv --config="$tmp.rc" -O "$tmp" -- 'https://h.example/a b.tgz'`)
    expect(w.stdin).to.include("password = pa'ss\n")
    expect(w.cmd.text).to.not.include('pa')
    const p = downloadCommand('python3', o)
    expect(JSON.parse(p.stdin)).to.deep.equal({ url: o.url, headers: o.headers, timeout: 7, validate_certs: false, user: 'deploy', password: "pa'ss" })
    expect(p.cmd.text).to.not.include("pa'ss")
  })
  it('the remote checksum probe: recorded outputs (python3 on the host, file:// URLs)', () => {
    expect(parseRemoteChecksum({ stdout: 'status_code=200\nsum=0e6ef511d8279cbe816b3596bdda9302016f5e29f6d16814b84ea7cbc12b3ffe\n', code: 0 })).to.deep.equal({
      status: 200,
      sum: '0e6ef511d8279cbe816b3596bdda9302016f5e29f6d16814b84ea7cbc12b3ffe',
    })
    expect(parseRemoteChecksum({ stdout: "error=Request failed: <urlopen error [Errno 2] No such file or directory: '/etc/nope'>\n", code: 0 })).to.deep.equal({
      error: "Request failed: <urlopen error [Errno 2] No such file or directory: '/etc/nope'>",
    })
    expect(() => remoteChecksumProbe(o, 'sha256')).to.throw(/no credentials in probes/)
  })
  it('file names from URLs', () => {
    expect(urlFileName('https://h/x/node_exporter-1.7.0.tar.gz?sig=1')).to.equal('node_exporter-1.7.0.tar.gz')
    expect(urlFileName('https://h/x/a%20b.txt')).to.equal('a b.txt')
    expect(urlFileName('https://h/x/')).to.equal(undefined)
    expect(urlFileName('https://h')).to.equal(undefined)
  })
  it('tools', () => {
    expect(parseTools({ stdout: 'tar\ngzip\nxz\n', code: 0 })).to.deep.equal(['tar', 'gzip', 'xz'])
  })
})
