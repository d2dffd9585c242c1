// The processor facts against ansible-core itself: the facts' awk rules read each /proc/cpuinfo
// below, and Ansible's own LinuxHardware.get_cpu_facts (from the installed ansible-core, with
// its file reads pointed at the same file) reads it too; the two must agree on every processor_*
// fact. Ansible is the judge, quirks included (threads per core come from the first core's
// siblings, the cores from the first socket's).
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CPUINFO_RULES, cpuFacts } from '../../../src/probes/cpu-facts.js'
import { ansiblePython, hasAnsible } from '../../helpers/ansible.js'

const x86 = (sockets: number, cores: number, threads: number, flags = 'fpu vme de pse tsc msr') =>
  Array.from({ length: sockets * cores * threads }, (_, n) => {
    const socket = Math.floor(n / (cores * threads))
    const core = Math.floor(n / threads) % cores
    return [
      `processor\t: ${n}`,
      'vendor_id\t: GenuineIntel',
      'cpu family\t: 6',
      'model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz',
      `physical id\t: ${socket}`,
      `siblings\t: ${cores * threads}`,
      `core id\t\t: ${core}`,
      `cpu cores\t: ${cores}`,
      `flags\t\t: ${flags}`,
      '',
    ].join('\n')
  }).join('\n')

const arm = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `processor\t: ${i}\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n`,
  ).join('\n')

const CASES: { name: string; cpuinfo: string; arch: string; xen?: boolean }[] = [
  { name: 'x86, 1 socket of 2 cores (this lab)', cpuinfo: x86(1, 2, 1), arch: 'x86_64' },
  { name: 'x86, 2 sockets of 4 cores with 2 threads each', cpuinfo: x86(2, 4, 2), arch: 'x86_64' },
  { name: 'x86, 1 socket, 1 core (a small VM)', cpuinfo: x86(1, 1, 1), arch: 'x86_64' },
  { name: 'x86 without siblings lines (2 sockets of 2 cores)', cpuinfo: x86(2, 2, 1).replace(/^siblings.*\n/gm, ''), arch: 'x86_64' },
  // Ansible counts each processor and vendor_id line when there is no model name to pair with
  { name: 'x86 with only processor and vendor_id lines', cpuinfo: 'processor\t: 0\nvendor_id\t: X\n\nprocessor\t: 1\nvendor_id\t: X\n', arch: 'x86_64' },
  { name: 'aarch64: processor lines only', cpuinfo: arm(4), arch: 'aarch64' },
  { name: 'a Xen paravirtual guest (flags without vme)', cpuinfo: x86(1, 2, 1, 'fpu de pse tsc'), arch: 'x86_64', xen: true },
  { name: 'a Xen HVM guest (vme in flags)', cpuinfo: x86(1, 4, 1), arch: 'x86_64', xen: true },
  { name: 's390x: nothing beyond the list', cpuinfo: 'vendor_id       : IBM/S390\n# processors    : 2\n', arch: 's390x' },
]

// Ansible's collector, its reads of /proc/cpuinfo and /sys/hypervisor/type answered from the case.
const ANSIBLE = `
import json, os, sys
from ansible.module_utils.facts.hardware import linux
path, arch, xen = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
real = linux.get_file_lines
def lines(p, *a, **k):
    if p == '/proc/cpuinfo':
        return real(path, *a, **k)
    if p == '/sys/hypervisor/type':
        if xen:
            return ['xen']
        raise IOError(p)
    return real(p, *a, **k)
linux.get_file_lines = lines
exists = os.path.exists
os.path.exists = lambda p: False if p == '/proc/xen' else exists(p)
facts = linux.LinuxHardware(module=None).get_cpu_facts(collected_facts={'ansible_architecture': arch})
facts.pop('processor', None)
print(json.dumps(facts))
`

describe('probes/cpu-facts: processor facts as ansible-core computes them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-cpuinfo-'))
  before(function () {
    if (!hasAnsible()) this.skip()
  })
  for (const c of CASES) {
    it(c.name, () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.txt`)
      writeFileSync(file, c.cpuinfo)
      const theirs = JSON.parse(execFileSync(ansiblePython(), ['-c', ANSIBLE, file, c.arch, c.xen ? '1' : '0'], { encoding: 'utf8' })) as Record<string, number>
      // The rules share the facts' awk with other rules: names those use (i, n, s, k, v) must not matter.
      const program = `BEGIN { i = 5; n = 5; s = 1; k = "x"; v = "y"; p = 3 }\n${CPUINFO_RULES.text}`
      const out = execFileSync('awk', ['-v', `xen=${c.xen ? 1 : 0}`, '-v', `cpuinfo=${file}`, program, '/proc/self/status', file], {
        encoding: 'utf8',
      })
      const line = (key: string) => /^(\w+)=(.*)$/m.exec(out.split('\n').find((l) => l.startsWith(`${key}=`)) ?? '')?.[2]
      expect(cpuFacts(line('cpu'), line('cpus_allowed'), c.arch)).to.deep.equal(theirs)
    })
  }
})
