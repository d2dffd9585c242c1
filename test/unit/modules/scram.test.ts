// SCRAM-SHA-256 verifiers: checked against verifiers PostgreSQL 15 itself stored (recorded on a lab
// host), including a password that SASLprep changes (full-width letters → ASCII under NFKC).
import { expect } from 'chai'
import { isMd5Verifier, isScramVerifier, md5Verifier, parseScramVerifier, saslPrep, scramMatches, scramVerifier } from '../../../src/modules/scram.js'

// CREATE ROLE ... PASSWORD '<clear>' on PostgreSQL 15, then SELECT rolpassword FROM pg_authid.
const STORED = {
  ascii: {
    password: 'S3cret pw',
    verifier: 'SCRAM-SHA-256$4096:tBHFjk0B4zN3ecCgmneaRw==$T3tfnYpucKV++UEYSNlzml7SGywLJI2BGXUgjSjWZHo=:+q7f5eEStsZ8nxdAqf+2jo5oYeJhDJSIDFLWN2dGZF4=',
  },
  unicode: {
    password: 'pässwörd ＡＢ',
    verifier: 'SCRAM-SHA-256$4096:jY3vOezw+QH/upk072AdfQ==$o4O1aEE73W7eblOiyP4QNuwAzAW/ILswvanTyYEhNdg=:WOW3hi5wXRADkqVakq6cR7EDe4/9z1d/pgnRBChB7vg=',
  },
  md5: { password: 'md5pass', user: 'rmpg_md5', verifier: 'md595a1d6a5a0b5d7eb0e53e32e715824af' },
}

describe('modules/scram', () => {
  it('recognises a verifier PostgreSQL stored, for the right password only', () => {
    expect(scramMatches(STORED.ascii.password, STORED.ascii.verifier)).to.equal(true)
    expect(scramMatches('S3cret pw ', STORED.ascii.verifier)).to.equal(false)
    expect(scramMatches('s3cret pw', STORED.ascii.verifier)).to.equal(false)
    expect(scramMatches('', STORED.ascii.verifier)).to.equal(false)
  })

  it('normalises with SASLprep as PostgreSQL does (NFKC: full-width AB is AB)', () => {
    expect(scramMatches(STORED.unicode.password, STORED.unicode.verifier)).to.equal(true)
    expect(scramMatches('pässwörd AB', STORED.unicode.verifier)).to.equal(true)
    expect(saslPrep('a\u00A0b').toString()).to.equal('a b')
    expect(saslPrep('a\u00ADb').toString()).to.equal('ab')
    // A prohibited character (a control character) makes PostgreSQL use the raw bytes.
    expect(saslPrep('ä\u0007').equals(Buffer.from('ä\u0007'))).to.equal(true)
  })

  it("makes verifiers in PostgreSQL's format that verify, with a fresh salt each time", () => {
    const salt = Buffer.from('0123456789abcdef')
    const v = scramVerifier('S3cret pw', salt)
    expect(v).to.match(/^SCRAM-SHA-256\$4096:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/)
    expect(scramVerifier('S3cret pw', salt)).to.equal(v)
    expect(scramMatches('S3cret pw', v)).to.equal(true)
    expect(scramMatches('other', v)).to.equal(false)
    const a = scramVerifier('x')
    const b = scramVerifier('x')
    expect(a).to.not.equal(b)
    expect(scramMatches('x', a) && scramMatches('x', b)).to.equal(true)
    // Same salt and iterations as PostgreSQL's: the same keys.
    const pg = parseScramVerifier(STORED.ascii.verifier)!
    expect(scramVerifier(STORED.ascii.password, pg.salt, pg.iterations)).to.equal(STORED.ascii.verifier)
  })

  it('tells verifiers from clear passwords, and computes md5 ones', () => {
    expect(isScramVerifier(STORED.ascii.verifier)).to.equal(true)
    expect(isScramVerifier('SCRAM-SHA-256$4096:abc')).to.equal(false)
    expect(isMd5Verifier(STORED.md5.verifier)).to.equal(true)
    expect(isMd5Verifier('md5pass')).to.equal(false)
    expect(md5Verifier(STORED.md5.password, STORED.md5.user)).to.equal(STORED.md5.verifier)
    expect(scramMatches('x', 'SCRAM-SHA-256$4096:AAAA$AAAA:AAAA')).to.equal(false)
    expect(scramMatches('x', STORED.md5.verifier)).to.equal(false)
  })
})
