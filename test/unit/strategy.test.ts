import { expect } from 'chai'
import { Lockstep } from '../../src/engine/lockstep.js'
import { batches } from '../../src/engine/play.js'

describe('serial batches', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e']
  it('numbers, percentages and lists (the last size repeats)', () => {
    expect(batches(hosts, [])).to.deep.equal([hosts])
    expect(batches(hosts, [2])).to.deep.equal([['a', 'b'], ['c', 'd'], ['e']])
    expect(batches(hosts, ['40%'])).to.deep.equal([['a', 'b'], ['c', 'd'], ['e']])
    expect(batches(hosts, [1, 3])).to.deep.equal([['a'], ['b', 'c', 'd'], ['e']])
    expect(batches(hosts, ['10%'])).to.have.length(5)
  })
})

/** Resolves with p, or rejects after ms: a gate that never opens fails fast instead of hanging. */
function within<T>(p: Promise<T>, ms = 1000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

describe('the linear gate', () => {
  it('releases the lowest waiting index only when every host waits', async () => {
    const g = new Lockstep(['a', 'b'])
    const order: string[] = []
    const pa = g.arrive('a', 2).then(() => order.push('a2'))
    await new Promise((r) => setTimeout(r, 10))
    expect(order).to.deep.equal([]) // b has not arrived anywhere yet
    const pb = g.arrive('b', 1).then(() => order.push('b1'))
    await within(pb)
    expect(order).to.deep.equal(['b1'])
    const pb2 = g.arrive('b', 2).then(() => order.push('b2'))
    await within(Promise.all([pa, pb2]))
    expect(order.slice(1).sort()).to.deep.equal(['a2', 'b2'])
  })
  it("releases the hosts in the play's order, whatever order they arrived in (run_once takes the first)", async () => {
    const g = new Lockstep(['a', 'b', 'c'])
    const order: string[] = []
    const all = ['c', 'b', 'a'].map((h) => g.arrive(h, 3).then(() => order.push(h)))
    await within(Promise.all(all))
    expect(order).to.deep.equal(['a', 'b', 'c'])
  })
  it('a host that leaves no longer holds the others', async () => {
    const g = new Lockstep(['a', 'b'])
    const pa = g.arrive('a', 5)
    g.leave('b')
    await within(pa)
  })
})
