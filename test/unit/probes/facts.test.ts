// The facts probe's parser on output shaped as a Debian 12 host prints it, and on sparse output.
import { expect } from 'chai'
import { factVariables, parseFacts } from '../../../src/probes/facts.js'

const DEBIAN = [
  'hostname=web1.lab',
  'fqdn=web1.lab.example',
  'os_id=debian',
  'os_like=',
  'os_name=Debian GNU/Linux',
  'os_version_id=12',
  'os_codename=bookworm',
  'debian_version=12.7',
  // the awk's processor counts for 1 socket of 2 cores (cpu-facts.ts), and the affinity
  'cpu=6|2|2|2|1|2|2|2|0|',
  'cpus_allowed=0-1',
  'memtotal_kb=2039784',
  'memfree_kb=1523412',
  'swaptotal_kb=0',
  'service_mgr=sysvinit',
  'python3=/usr/bin/python3',
  'arch=x86_64',
  'kernel=6.1.0-26-amd64',
  'system=Linux',
  'user_id=root',
  'user_uid=0',
  'home=/root',
  'pkg_path=/usr/bin/apt-get',
  'ipv4=10.88.0.5',
  'ipv4_dev=eth0',
  'ipv4_all=10.88.0.5',
  'ipv4_all=172.17.0.1',
  'fips=1',
  // as `TZ=Europe/Berlin date -f -` prints the instant 1795968000.123456, early January and early July
  'date=2026|11|Sunday|0|47|29|17|00|00|1795968000|123456|CET|+0100',
  'date=2026|01|Thursday|4|00|01|01|00|00|1767225600|000000|CET|+0100',
  'date=2026|07|Thursday|4|26|02|17|00|00|1783004400|000000|CEST|+0200',
  '',
].join('\n')

describe('probes/facts', () => {
  it('a Debian host: names and values as Ansible gives them', () => {
    expect(parseFacts(DEBIAN)).to.deep.equal({
      hostname: 'web1',
      nodename: 'web1.lab',
      fqdn: 'web1.lab.example',
      domain: 'lab.example',
      os_family: 'Debian',
      distribution: 'Debian',
      // ansible-core 2.14's setup on a Debian 12.15 lab host: version "12", minor "15"
      distribution_version: '12',
      distribution_major_version: '12',
      distribution_minor_version: '7',
      distribution_release: 'bookworm',
      processor_count: 1,
      processor_cores: 2,
      processor_threads_per_core: 1,
      processor_vcpus: 2,
      processor_nproc: 2,
      memtotal_mb: 1991,
      memfree_mb: 1487,
      swaptotal_mb: 0,
      service_mgr: 'sysvinit',
      python: { executable: '/usr/bin/python3' },
      python3: '/usr/bin/python3',
      architecture: 'x86_64',
      kernel: '6.1.0-26-amd64',
      system: 'Linux',
      user_id: 'root',
      user_uid: 0,
      user_dir: '/root',
      pkg_mgr: 'apt',
      default_ipv4: { address: '10.88.0.5', interface: 'eth0' },
      all_ipv4_addresses: ['10.88.0.5', '172.17.0.1'],
      fips: true,
      // what ansible-core's date_time.py gives for that instant under TZ=Europe/Berlin (python3 checked)
      date_time: {
        year: '2026',
        month: '11',
        weekday: 'Sunday',
        weekday_number: '0',
        weeknumber: '47',
        day: '29',
        hour: '17',
        minute: '00',
        second: '00',
        epoch: '1795968000',
        epoch_int: '1795968000',
        date: '2026-11-29',
        time: '17:00:00',
        iso8601_micro: '2026-11-29T16:00:00.123456Z',
        iso8601: '2026-11-29T16:00:00Z',
        iso8601_basic: '20261129T170000123456',
        iso8601_basic_short: '20261129T170000',
        tz: 'CET',
        tz_dst: 'CEST',
        tz_offset: '+0100',
      },
    })
  })
  it("tz_dst is CPython's time.tzname[1]: south of the equator, the January name (AEDT)", () => {
    const f = parseFacts(
      'date=2026|11|Sunday|0|47|30|03|00|00|1795968000|000000|AEDT|+1100\ndate=2026|01|Thursday|4|00|01|11|00|00|1767225600|000000|AEDT|+1100\ndate=2026|07|Friday|5|26|03|01|00|00|1783004400|000000|AEST|+1000\n',
    )
    expect(f.date_time).to.deep.include({ tz: 'AEDT', tz_dst: 'AEDT', tz_offset: '+1100' })
    expect(f.fips).to.equal(false)
  })
  it('falls back when little is known: family from ID_LIKE, version from VERSION_ID, defaults', () => {
    const f = parseFacts('hostname=box\nos_id=pop\nos_like=ubuntu debian\nos_name=Pop!_OS\nos_version_id=22.04\n')
    expect(f).to.deep.include({
      hostname: 'box',
      fqdn: 'box',
      os_family: 'Debian',
      distribution: 'Pop!_OS',
      distribution_version: '22.04',
      distribution_major_version: '22',
      distribution_minor_version: '04',
      service_mgr: 'sysvinit',
      // As ansible-core: the Debian family's manager is apt, whatever binaries the output named.
      pkg_mgr: 'apt',
      user_uid: -1,
      all_ipv4_addresses: [],
    })
    // No /proc/cpuinfo read, no processor facts (as Ansible).
    expect(f).not.to.have.property('processor_vcpus')
    expect(parseFacts('os_id=plan9\n')).to.deep.include({ os_family: 'Plan9', distribution: 'Unknown', pkg_mgr: 'unknown' })
  })
  it('each fact is also a variable ansible_<name>', () => {
    const v = factVariables({ hostname: 'web1' })
    expect(v).to.deep.equal({ ansible_facts: { hostname: 'web1' }, ansible_hostname: 'web1' })
  })
})
