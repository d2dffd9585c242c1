// The modules real roles use to configure a Debian host (ini_file, sysctl, tempfile, locale_gen,
// setup), on two lab hosts with the real ansible-playbook as the judge: each playbook converges
// on one host with rm-play (a --check --diff run that changes nothing → a real run that changes
// what check predicted → a second run with changed=0), and runs on the other host with Ansible
// (--check, then twice); both report the same tasks changed and leave the same bytes and modes.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { ansiblePlay } from '../../helpers/ansible.js'
import { converge, type Converged } from '../../helpers/converge.js'
import { sh } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play } from '../../helpers/run-playbook.js'

const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`

describe('configuration modules on lab hosts, against ansible-playbook: ini_file, sysctl, tempfile, locale_gen, setup', function () {
  this.timeout(10 * 60 * 1000)
  let lab: TestLab
  let ours: string
  let theirs: string

  const out = async (host: string, script: string) => (await sh(lab.inventory, host, script)).stdout
  const both = (script: string) => Promise.all([sh(lab.inventory, ours, script), sh(lab.inventory, theirs, script)])

  /**
   * rm-play converges on one host, Ansible checks then runs twice on the other; changed tasks and
   * `state` agree. `checkOnly`: tasks only rm-play's check mode reports (see the README).
   */
  async function agree(yaml: string, state: string, checkOnly: string[] = []): Promise<Converged> {
    const c = await converge(lab.inventory, ours, (o) => play(yaml, { inventory: [lab.inventory], limit: ours, ...o }), {
      extraState: { what: 'the state compared', read: () => out(ours, state) },
    })
    const check = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs, check: true })
    const first = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(first.code, `${first.stderr}\n${JSON.stringify(first.tasks)}`).to.equal(0)
    const second = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
    expect(
      c.check.changedTasks().filter((t) => !checkOnly.includes(t)),
      'check mode: rm-play vs ansible-playbook',
    ).to.deep.equal(check.changedTasks())
    expect(c.check.changedTasks()).to.include.members(checkOnly)
    expect(c.real.changedTasks(), 'changed tasks: rm-play vs ansible-playbook').to.deep.equal(first.changedTasks())
    expect(second.changedTasks(), 'Ansible is idempotent here too').to.deep.equal([])
    expect((await out(ours, state)).replaceAll(ours, 'HOST')).to.equal((await out(theirs, state)).replaceAll(theirs, 'HOST'))
    return c
  }

  before(async function () {
    lab = await testLab(2)
    ;[ours, theirs] = lab.names as [string, string]
    await resetHosts(lab, [ours, theirs])
  })

  after(async function () {
    if (lab) await resetHosts(lab, [ours, theirs])
  })

  describe('ini_file', () => {
    const DIR = '/etc/rmp-ini'
    const bytes = `cd ${DIR} && for f in $(find . | sort); do stat -c '%n %a %U %G %s' "$f"; if [ -f "$f" ]; then od -c "$f"; fi; done`

    it('options set, added, commented ones revived, sections added and removed, new files: the same bytes as Ansible, then changed=0', async () => {
      await both(
        `mkdir -p ${DIR} && printf '# top\\nk=v\\n\\n[main]\\nport=80\\n;debug = yes\\n\\n[old]\\na = 1\\n' > ${DIR}/app.ini && printf '\\357\\273\\277[s]\\r\\nx = 1\\r\\n' > ${DIR}/dos.ini && chmod 0644 ${DIR}/*.ini`,
      )
      const c = await agree(
        pb(`    - name: port changed
      ini_file: { path: ${DIR}/app.ini, section: main, option: port, value: '8080' }
    - name: commented option revived
      ini_file: { path: ${DIR}/app.ini, section: main, option: debug, value: 'no', no_extra_spaces: true }
    - name: new option
      ini_file: { path: ${DIR}/app.ini, section: main, option: workers, value: '4' }
    - name: global option
      ini_file: { path: ${DIR}/app.ini, option: user, value: www-data }
    - name: new section
      ini_file: { path: ${DIR}/app.ini, section: extra, option: flag, allow_no_value: true }
    - name: section removed
      ini_file: { path: ${DIR}/app.ini, section: old, state: absent }
    - name: absent option already absent
      ini_file: { path: ${DIR}/app.ini, section: main, option: nothere, state: absent }
    - name: new file with mode
      ini_file: { path: ${DIR}/sub/new.ini, section: s, option: x, value: '1', mode: '0600' }
    - name: dos file rewritten
      ini_file: { path: ${DIR}/dos.ini, section: s, option: x, value: '2' }
`),
        bytes,
      )
      expect(c.real.changedTasks()).to.deep.equal([
        'port changed',
        'commented option revived',
        'new option',
        'global option',
        'new section',
        'section removed',
        'new file with mode',
        'dos file rewritten',
      ])
      expect(await out(ours, `cat ${DIR}/app.ini`)).to.equal('# top\nk=v\nuser = www-data\n\n[main]\nport = 8080\ndebug=no\nworkers = 4\n\n[extra]\nflag\n')
      expect(await out(ours, `cat ${DIR}/sub/new.ini; stat -c %a ${DIR}/sub/new.ini`)).to.equal('\n[s]\nx = 1\n600\n')
      expect(c.check.text).to.include('+port = 8080')
    })

    it('mode and owner of an existing file, backup, and create: false on a missing file fails as in Ansible', async () => {
      await both(`mkdir -p ${DIR} && printf '[s]\\nx = 1\\n' > ${DIR}/attrs.ini && chmod 0644 ${DIR}/attrs.ini`)
      await agree(
        pb(`    - name: attributes only
      ini_file: { path: ${DIR}/attrs.ini, section: s, option: x, value: '1', mode: '0640', owner: nobody, group: nogroup }
`),
        `stat -c '%n %a %U %G %s' ${DIR}/attrs.ini`,
        ['attributes only'],
      )
      const yaml = pb(`    - name: with backup
      ini_file: { path: ${DIR}/attrs.ini, section: s, option: x, value: '2', backup: true }
      register: r
    - name: backup kept
      debug: { msg: "{{ r.backup_file is defined and r.msg == 'option changed' }}" }
`)
      const mine = await play(yaml, { inventory: [lab.inventory], limit: ours })
      expect(mine.exitCode, mine.text).to.equal(0)
      expect(mine.text).to.include('"msg": true')
      expect(await out(ours, `cat ${DIR}/attrs.ini.*~`)).to.equal('[s]\nx = 1\n')
      const missing = pb(`    - name: no create
      ini_file: { path: ${DIR}/nothere.ini, section: s, option: x, value: '1', create: false }
`)
      const r = await play(missing, { inventory: [lab.inventory], limit: ours })
      const a = await ansiblePlay(missing, { inventory: lab.inventory, limit: theirs })
      expect(r.exitCode).to.equal(2)
      expect(a.code).to.equal(2)
      expect(r.text).to.include(`Destination ${DIR}/nothere.ini does not exist`)
    })
  })

  describe('sysctl', () => {
    const D = '/etc/sysctl.d'
    const files = (...names: string[]) => names.map((f) => `echo "== ${f}"; if [ -e ${f} ]; then stat -c '%a %U %G %s' ${f}; od -c ${f}; fi`).join('; ')
    const running = (...keys: string[]) => keys.map((k) => `echo "${k} $(sysctl -n ${k})"`).join('; ')

    it('a new key in /etc/sysctl.conf with reload: the file written and the running value set by sysctl -p, as Ansible', async () => {
      await both('rm -f /etc/sysctl.conf && sysctl -w net.ipv4.ip_forward=0 >/dev/null')
      const c = await agree(
        pb(`    - name: forwarding
      sysctl: { name: net.ipv4.ip_forward, value: 'yes' }
`),
        `${files('/etc/sysctl.conf')}; ${running('net.ipv4.ip_forward')}`,
      )
      expect(c.real.changedTasks()).to.deep.equal(['forwarding'])
      expect(await out(ours, `cat /etc/sysctl.conf; sysctl -n net.ipv4.ip_forward`)).to.equal('net.ipv4.ip_forward=1\n1\n')
    })

    it('a file that changes is rewritten as Ansible does (trimmed, key=value, repeated keys dropped); absent removes the key; reload: false leaves the kernel', async () => {
      await both(
        `printf '# rm-play test\\n  net.ipv4.conf.all.rp_filter = 2 \\n\\n; old\\nnet.ipv4.ip_default_ttl=70\\nnet.ipv4.conf.all.rp_filter=1\\nnet.ipv4.tcp_syncookies = 1\\n' > ${D}/60-rmp.conf && chmod 0640 ${D}/60-rmp.conf`,
      )
      const state = `${files(`${D}/60-rmp.conf`)}; ${running('net.ipv4.conf.all.rp_filter', 'net.ipv4.ip_default_ttl')}`
      const c = await agree(
        pb(`    - name: rp_filter
      sysctl: { name: net.ipv4.conf.all.rp_filter, value: '0', sysctl_file: ${D}/60-rmp.conf, reload: false }
    - name: syncookies already there
      sysctl: { name: net.ipv4.tcp_syncookies, value: '1', sysctl_file: ${D}/60-rmp.conf, reload: false }
    - name: ttl gone
      sysctl: { name: net.ipv4.ip_default_ttl, state: absent, sysctl_file: ${D}/60-rmp.conf, reload: false }
`),
        state,
      )
      expect(c.real.changedTasks()).to.deep.equal(['rp_filter', 'ttl gone'])
      expect(await out(ours, `cat ${D}/60-rmp.conf; stat -c %a ${D}/60-rmp.conf; sysctl -n net.ipv4.ip_default_ttl`)).to.equal(
        '# rm-play test\nnet.ipv4.conf.all.rp_filter=0\n\n; old\nnet.ipv4.tcp_syncookies=1\n640\n64\n',
      )
    })

    it("the file right but the kernel not: reload (default) and sysctl_set set the running value; a tab between the kernel's words is no difference", async () => {
      await both(
        `printf 'net.ipv4.ip_default_ttl=71\\nnet.ipv4.ip_local_port_range=32768 60999\\n' > ${D}/61-rmp.conf && sysctl -w net.ipv4.ip_default_ttl=64 >/dev/null && sysctl -w net.ipv4.ip_local_port_range='32768 60999' >/dev/null`,
      )
      const state = `${files(`${D}/61-rmp.conf`)}; ${running('net.ipv4.ip_default_ttl', 'net.ipv4.ip_local_port_range')}`
      const c = await agree(
        pb(`    - name: ttl
      sysctl: { name: net.ipv4.ip_default_ttl, value: '71', sysctl_file: ${D}/61-rmp.conf, sysctl_set: true, reload: false }
    - name: range
      sysctl: { name: net.ipv4.ip_local_port_range, value: '32768 60999', sysctl_file: ${D}/61-rmp.conf }
`),
        state,
      )
      expect(c.real.changedTasks()).to.deep.equal(['ttl'])
      expect(await out(ours, 'sysctl -n net.ipv4.ip_default_ttl')).to.equal('71\n')
      await both(`sysctl -w net.ipv4.ip_default_ttl=64 >/dev/null`)
      const r = await agree(
        pb(`    - name: reload puts it back
      sysctl: { name: net.ipv4.ip_default_ttl, value: '71', sysctl_file: ${D}/61-rmp.conf }
`),
        state,
      )
      expect(r.real.changedTasks()).to.deep.equal(['reload puts it back'])
      expect(await out(ours, 'sysctl -n net.ipv4.ip_default_ttl')).to.equal('71\n')
    })

    it("a global key (vm.*) only in a file with reload: false; with reload, sysctl -p fails on a lab host as Ansible's does, the controller untouched", async () => {
      // The value the controller has: even if the lab's guard failed, nothing would change.
      const swappiness = readFileSync('/proc/sys/vm/swappiness', 'utf8').trim()
      await both(`rm -f ${D}/62-rmp.conf`)
      const c = await agree(
        pb(`    - name: swappiness in the file
      sysctl: { name: vm.swappiness, value: '${swappiness}', sysctl_file: ${D}/62-rmp.conf, reload: false }
`),
        files(`${D}/62-rmp.conf`),
      )
      expect(c.real.changedTasks()).to.deep.equal(['swappiness in the file'])
      await both(`rm -f ${D}/62-rmp.conf`)
      const failing = pb(`    - name: swappiness reloaded
      sysctl: { name: vm.swappiness, value: '${swappiness}', sysctl_file: ${D}/62-rmp.conf }
`)
      const mine = await play(failing, { inventory: [lab.inventory], limit: ours })
      const theirsRun = await ansiblePlay(failing, { inventory: lab.inventory, limit: theirs })
      expect(mine.exitCode, mine.text).to.equal(2)
      expect(theirsRun.code).to.equal(2)
      expect(mine.text).to.match(/Failed to reload sysctl: .*(Read-only file system|permission denied)/i)
      expect(readFileSync('/proc/sys/vm/swappiness', 'utf8').trim()).to.equal(swappiness)
    })
  })

  describe('tempfile', () => {
    const DIR = '/var/tmp/rmp-tempfile'
    const yaml = pb(`    - name: a file
      tempfile: { path: ${DIR}, prefix: p-, suffix: -s }
      register: f
    - name: a directory
      tempfile: { state: directory, path: ${DIR} }
      register: d
    - name: show
      debug:
        msg: >-
          {{ f.path | dirname }} {{ f.path | basename | regex_replace('^p-[A-Za-z0-9_]{8}-s$', 'NAME') }} {{ f.state }} {{ f.mode }} {{ f.size }}
          {{ d.path | basename | regex_replace('^ansible\\.[A-Za-z0-9_]{8}$', 'NAME') }} {{ d.state }} {{ d.mode }} {{ d.owner }}
          {{ f.skipped | default(false) }}
`)
    const listing = `cd ${DIR} && find . -mindepth 1 -printf '%y %m %u\\n' | sort`

    it('makes a new file and directory on every run (changed, as Ansible), with the same modes and result; check mode skips it as Ansible does', async () => {
      await both(`rm -rf ${DIR} && mkdir -p ${DIR}`)
      const check = await play(yaml, { inventory: [lab.inventory], limit: ours, check: true })
      const ansibleCheck = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs, check: true })
      expect(check.exitCode, check.text).to.equal(2)
      expect(ansibleCheck.code).to.equal(2)
      expect(check.results('a file')[0]!.status).to.equal('skipped')
      expect(ansibleCheck.tasks.find((t) => t.task === 'a file')!.skipped).to.equal(true)
      expect(await out(ours, listing)).to.equal('')
      const runs = []
      for (let i = 0; i < 2; i++) {
        const mine = await play(yaml, { inventory: [lab.inventory], limit: ours })
        const theirsRun = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs })
        expect(mine.exitCode, mine.text).to.equal(0)
        expect(theirsRun.code, theirsRun.stderr).to.equal(0)
        expect(mine.changedTasks()).to.deep.equal(['a file', 'a directory'])
        expect(mine.changedTasks()).to.deep.equal(theirsRun.changedTasks())
        const msg = mine.results('show')[0]!.msg
        expect(msg).to.equal(theirsRun.tasks.find((t) => t.task === 'show')!.msg)
        runs.push(msg)
      }
      expect(runs[0]).to.equal(`${DIR} NAME file 0600 0 NAME directory 0700 root False`)
      expect(await out(ours, listing)).to.equal('d 700 root\nd 700 root\nf 600 root\nf 600 root\n')
      expect(await out(ours, listing)).to.equal(await out(theirs, listing))
    })
  })

  describe('locale_gen', () => {
    const state = "grep -v '^#' /etc/locale.gen | grep .; stat -c '%a %U %G' /etc/locale.gen; locale -a"

    it('the locales package installed with rm-play on both hosts; a locale generated and removed as Ansible does, then changed=0', async () => {
      const install = await play(pb(`    - apt: { name: locales, install_recommends: false, update_cache: true }\n`), { inventory: [lab.inventory] })
      expect(install.exitCode, install.text).to.equal(0)
      // enabled in the file but never generated: still to be made
      await both("sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen")
      const c = await agree(
        pb(`    - name: de_DE enabled, not generated
      locale_gen: { name: de_DE.UTF-8, state: present }
    - name: en_US
      locale_gen: { name: en_US.UTF-8 }
    - name: fr_FR already absent
      locale_gen: { name: fr_FR.UTF-8, state: absent }
`),
        state,
      )
      expect(c.real.changedTasks()).to.deep.equal(['de_DE enabled, not generated', 'en_US'])
      expect(await out(ours, 'locale -a')).to.include('en_US.utf8\n')
      const r = await agree(
        pb(`    - name: en_US removed
      locale_gen: { name: en_US.UTF-8, state: absent }
`),
        state,
      )
      expect(r.real.changedTasks()).to.deep.equal(['en_US removed'])
      expect(await out(ours, "grep -c '^# en_US.UTF-8 UTF-8$' /etc/locale.gen; locale -a")).to.equal('1\nC\nC.utf8\nPOSIX\nde_DE.utf8\n')
      const bad = pb(`    - name: no such locale
      locale_gen: { name: xx_YY.UTF-8 }
`)
      const mine = await play(bad, { inventory: [lab.inventory], limit: ours })
      const theirsRun = await ansiblePlay(bad, { inventory: lab.inventory, limit: theirs })
      expect(mine.exitCode).to.equal(2)
      expect(theirsRun.code).to.equal(2)
      expect(mine.results('no such locale')[0]!.msg).to.equal(theirsRun.tasks[0]!.msg)
    })
  })

  describe('setup', () => {
    it('gathers facts into the host facts (seen from the next task on, as ansible_* and ansible_facts); filter; never a change, in check mode too', async () => {
      const yaml = `- hosts: runmaster
  gather_facts: false
  tasks:
    - name: before
      debug: { msg: "{{ ansible_facts.hostname | default('none') }}" }
    - name: gather
      setup: { filter: ['ansible_distribution*', 'hostname'], gather_subset: ['!all', 'min'] }
      register: s
    - name: after
      debug: { msg: "{{ ansible_hostname }} {{ ansible_distribution }} {{ ansible_facts.distribution_major_version }} {{ s.ansible_facts.ansible_hostname }} {{ s.ansible_facts.ansible_os_family is defined }} {{ s.changed }}" }
    - name: everything
      setup:
    - name: all of them
      debug: { msg: "{{ ansible_os_family }} {{ ansible_facts.os_family }}" }
`
      const msgs = (r: Awaited<ReturnType<typeof play>>) => ['before', 'after', 'all of them'].map((t) => r.results(t)[0]!.msg)
      for (const check of [false, true]) {
        const mine = await play(yaml, { inventory: [lab.inventory], limit: ours, check })
        const theirsRun = await ansiblePlay(yaml, { inventory: lab.inventory, limit: theirs, check })
        expect(mine.exitCode, mine.text).to.equal(0)
        expect(theirsRun.code, theirsRun.stderr).to.equal(0)
        expect(mine.changedTasks()).to.deep.equal([])
        expect(theirsRun.changedTasks()).to.deep.equal([])
        const want = ['before', 'after', 'all of them'].map((t) => theirsRun.tasks.find((x) => x.task === t)!.msg!.replaceAll(theirs, 'HOST'))
        expect(msgs(mine).map((m) => m!.replaceAll(ours, 'HOST'))).to.deep.equal(want)
        expect(want).to.deep.equal(['none', 'HOST Debian 12 HOST False False', 'Debian Debian'])
      }
    })
  })
})
