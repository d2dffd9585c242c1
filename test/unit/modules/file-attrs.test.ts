// Owner/group/mode planning: symbolic modes computed as chmod (and Ansible) compute them.
import { expect } from 'chai'
import { applySymbolic, defaultMode, isSymbolic, modeProblems, octal, planAttrs, sameId, wantedMode, setAttrs } from '../../../src/modules/file-attrs.js'
import { fakeStat } from '../probes/files-recorded.js'

// Expected values produced by GNU chmod 9.1 with umask 022 on regular files.
const SYMBOLIC: [number, string, string][] = [
  [0o644, 'u+x', '0744'],
  [0o755, 'u=rw,g=r,o=', '0640'],
  [0o600, 'a+r', '0644'],
  [0o644, '+x', '0755'],
  [0o666, 'go-w', '0644'],
  [0o644, 'u=rwX,g=rX,o=', '0640'],
  [0o744, 'u=rwX,g=rX,o=', '0750'],
  [0o640, 'g=u', '0660'],
  [0o751, 'o=g', '0755'],
  [0o755, 'u+s', '4755'],
  [0o755, 'g+s', '2755'],
  [0o777, '+t', '1777'],
  [0o755, 'a-x', '0644'],
  [0o777, '=r', '0444'],
  [0o644, 'u=rwx,go=', '0700'],
  [0o700, 'ug+rw,o-rwx', '0760'],
  [0o4755, 'u-s,g+w', '0775'],
  [0o1777, '-w', '1577'],
  [0o000, '+w', '0200'],
  [0o711, 'g=o,u+x', '0711'],
]

describe('file-attrs', () => {
  it('computes symbolic modes like chmod on files (umask 022 for who-less clauses)', () => {
    for (const [from, spec, want] of SYMBOLIC) expect(octal(applySymbolic(spec, from, false, 0o022)), `${from.toString(8)} ${spec}`).to.equal(want)
  })

  it('X adds execute to directories and to files that already have some execute bit', () => {
    expect(octal(applySymbolic('a+X', 0o644, false))).to.equal('0644')
    expect(octal(applySymbolic('a+X', 0o644, true))).to.equal('0755')
    expect(octal(applySymbolic('a+X', 0o744, false))).to.equal('0755')
  })

  it("'=' on a directory clears setuid/setgid as Ansible computes it (GNU chmod would keep them; the numeric apply makes it exact)", () => {
    expect(octal(applySymbolic('u=rwX,g=rX,o=', 0o2775, true))).to.equal('0750')
  })

  it('a different umask changes who-less clauses only', () => {
    expect(octal(applySymbolic('+rw', 0o000, false, 0o077))).to.equal('0600')
    expect(octal(applySymbolic('a+rw', 0o000, false, 0o077))).to.equal('0666')
  })

  it('rejects malformed clauses', () => {
    expect(() => applySymbolic('u+z', 0o644, false)).to.throw(/bad symbolic mode/)
    expect(modeProblems('u=rw,,g=r')).to.have.length(1)
    expect(modeProblems('0644')).to.deep.equal([])
  })

  it('wanted modes: octal as is, symbolic from the current mode or the default for new things', () => {
    expect(isSymbolic('0644')).to.equal(false)
    expect(isSymbolic('u+x')).to.equal(true)
    expect(wantedMode('0640', '0600', false, 0o022)).to.equal('0640')
    expect(wantedMode('755', undefined, true, 0o022)).to.equal('0755')
    expect(wantedMode('u+x', '0600', false, 0o022)).to.equal('0700')
    expect(wantedMode('u+x', undefined, false, 0o022)).to.equal('0744')
    expect(wantedMode('g+w', undefined, true, 0o022)).to.equal('0775')
    expect(wantedMode(undefined, '0600', false, 0o022)).to.equal(undefined)
    expect(wantedMode('preserve', '0600', false, 0o022)).to.equal(undefined)
    expect(octal(defaultMode(false, 0o027))).to.equal('0640')
  })

  it('owners and groups match by name or by number', () => {
    expect(sameId('root', 'root', 0)).to.equal(true)
    expect(sameId('0', 'root', 0)).to.equal(true)
    expect(sameId('app', 'root', 0)).to.equal(false)
  })

  it('plans only what differs, owner and mode in one no-follow command, everything quoted', () => {
    const st = fakeStat({ mode: '0644', owner: 'root', group: 'root' })
    expect(planAttrs('/x', st, { owner: 'root', group: '0', mode: '0644' }, { umask: 0o022 }).cmds).to.deep.equal([])
    const p = planAttrs("/a b/it's", st, { owner: 'app', mode: 'u=rw,g=r,o=' }, { umask: 0o022 })
    expect(p.cmds.map(String)).to.deep.equal([setAttrs("/a b/it's", 'app', undefined, '0640').text])
    expect(p.cmds.map(String)[0]).to.match(/ -- app '' 00640 '\/a b\/it'\\''s'$/)
    expect(p.parts).to.deep.equal(['owner root → app', 'mode 0644 → 0640'])
    expect(p.before).to.equal('owner: root\nmode: 0644\n')
    expect(p.after).to.equal('owner: app\nmode: 0640\n')
    expect(planAttrs('/x', st, { group: 'adm' }, { umask: 0o022 }).cmds.map(String)).to.deep.equal([setAttrs('/x', undefined, 'adm', undefined).text])
  })

  it('a symlink gets chown -h and never a mode (Linux links have none)', () => {
    const st = fakeStat({ type: 'link', mode: '0777' })
    const p = planAttrs('/l', st, { owner: 'app', mode: '0600' }, { umask: 0o022, link: true })
    expect(p.cmds.map(String)).to.deep.equal(['chown -h -- app /l'])
  })
})
