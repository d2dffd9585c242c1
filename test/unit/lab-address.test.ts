import { expect } from 'chai'
import { bridgeAddress, cidrOverlaps, hostAddress, parseCidr, pickSubnet, subnetProblem } from '../../src/lab/address.js'
import { bridgeName, hostNames, labNameProblem } from '../../src/lab/paths.js'
import { macFor } from '../../src/lab/network.js'

describe('lab addresses and names', () => {
  it('derives the same /24 from the same name, inside 10.231.1-254', () => {
    const a = pickSubnet('lab', [])!
    expect(a).to.equal(pickSubnet('lab', []))
    expect(a).to.match(/^10\.231\.(\d+)\.0\/24$/)
    const third = Number(a.split('.')[2])
    expect(third).to.be.within(1, 254)
  })

  it('moves on past /24s that other labs or routes hold', () => {
    const first = pickSubnet('lab', [])!
    const second = pickSubnet('lab', [parseCidr(first)!])!
    expect(second).to.not.equal(first)
    // a wider route covering the whole 10.231/16 leaves nothing
    expect(pickSubnet('lab', [parseCidr('10.231.0.0/16')!])).to.equal(undefined)
    // an unrelated route does not matter
    expect(pickSubnet('lab', [parseCidr('192.168.1.0/24')!])).to.equal(first)
  })

  it('compares CIDRs by their common prefix', () => {
    const c = (s: string) => parseCidr(s)!
    expect(cidrOverlaps(c('10.231.5.0/24'), c('10.231.5.77/32'))).to.equal(true)
    expect(cidrOverlaps(c('10.231.5.0/24'), c('10.0.0.0/8'))).to.equal(true)
    expect(cidrOverlaps(c('10.231.5.0/24'), c('10.231.6.0/24'))).to.equal(false)
    expect(parseCidr('10.231.300.0/24')).to.equal(undefined)
  })

  it('numbers the bridge .1 and hosts from .11', () => {
    expect(bridgeAddress('10.231.7.0/24')).to.equal('10.231.7.1')
    expect(hostAddress('10.231.7.0/24', 1)).to.equal('10.231.7.11')
    expect(hostAddress('10.231.7.0/24', 50)).to.equal('10.231.7.60')
  })

  it('accepts only /24 subnets given by hand', () => {
    expect(subnetProblem('10.231.9.0/24')).to.equal(undefined)
    expect(subnetProblem('10.231.9.0/16')).to.be.a('string')
    expect(subnetProblem('10.231.9.5/24')).to.be.a('string')
  })

  it('keeps every interface name within 15 characters', () => {
    for (const name of ['lab', 'rmtest', 'abcdefg', 'a-b-c-d']) {
      expect(labNameProblem(name), name).to.equal(undefined)
      expect(bridgeName(name).length).to.be.at.most(15)
      expect(hostNames(name, 200).veth.length).to.be.at.most(15)
      expect(hostNames(name, 3).name).to.equal(`${name}3`)
    }
  })

  it('rejects lab names that would not make valid links or hostnames', () => {
    for (const bad of ['', 'Lab', 'lab1', '-lab', 'toolongname', 'la_b', 'lab-']) {
      expect(labNameProblem(bad), bad).to.be.a('string')
    }
  })

  it('gives each address a fixed, locally administered MAC', () => {
    expect(macFor('10.231.7.11')).to.equal('02:52:0a:e7:07:0b')
  })
})

describe('lab preflight', () => {
  it('says how much space there is and how much is needed', async () => {
    const { checkDiskSpace } = await import('../../src/lab/preflight.js')
    expect(() => checkDiskSpace('/tmp/no/such/dir/yet', Number.MAX_SAFE_INTEGER, 'the base image')).to.throw(
      /not enough disk space for the base image: \d+ MB free at \/tmp\/no\/such\/dir\/yet, need \d+ MB/,
    )
    expect(() => checkDiskSpace('/tmp', 1, 'a byte')).to.not.throw()
  })
})
