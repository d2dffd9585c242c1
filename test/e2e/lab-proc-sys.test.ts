// A lab host shares the controller's kernel: vm.*, kernel.* and fs.* sysctls are global, so a host
// writing them would change the machine running the tests. Its /proc/sys is read-only except net/,
// which belongs to the host's own network namespace.
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { sh } from '../helpers/host-shell.js'
import { testLab, type TestLab } from '../helpers/lab.js'

describe("lab: a host cannot change the controller's /proc/sys", function () {
  let lab: TestLab
  let host: string
  const on = (script: string) => sh(lab.inventory, host, script, true)

  before(async function () {
    lab = await testLab(4)
    host = lab.names[0]!
  })

  it("sysctl -w vm.swappiness fails inside a host and the controller keeps its value; net.* is the host's own", async () => {
    const swappiness = readFileSync('/proc/sys/vm/swappiness', 'utf8')
    const forward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')
    const other = String((Number(swappiness) + 7) % 100)
    try {
      const r = await on(`sysctl -w vm.swappiness=${other}`)
      expect(r.code).to.not.equal(0)
      expect(r.stderr).to.match(/permission denied|read-only/i)
      expect((await on('cat /proc/sys/kernel/pid_max > /proc/sys/kernel/pid_max')).stderr).to.match(/read-only/i)
      expect(readFileSync('/proc/sys/vm/swappiness', 'utf8')).to.equal(swappiness)
      const flip = forward.trim() === '1' ? '0' : '1'
      const n = await on(`sysctl -w net.ipv4.ip_forward=${flip} && cat /proc/sys/net/ipv4/ip_forward`)
      expect(n.code, n.stderr).to.equal(0)
      expect(n.stdout.trim().split('\n').pop()).to.equal(flip)
      expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).to.equal(forward)
    } finally {
      // Should the guard ever break, leave the controller as it was.
      if (readFileSync('/proc/sys/vm/swappiness', 'utf8') !== swappiness) writeFileSync('/proc/sys/vm/swappiness', swappiness)
      await on(`sysctl -w net.ipv4.ip_forward=${forward.trim()}`)
    }
  })
})
