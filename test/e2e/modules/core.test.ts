// Small modules on real lab hosts (Debian, over SSH): uri, wait_for, include_vars, pause, fail.
// Each says what it does in check mode; these tests hold it to that on a real host: a read runs,
// a change is only predicted (the server's request log proves nothing was sent), and a wait
// looks once without waiting.
import { expect } from 'chai'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sh } from '../../helpers/host-shell.js'
import { resetHosts, testLab, type TestLab } from '../../helpers/lab.js'
import { play, type PlayOptions, type PlayOutcome } from '../../helpers/run-playbook.js'

describe('core modules on lab hosts: uri, wait_for, include_vars, pause, fail', function () {
  let lab: TestLab
  let host: string
  let other: string
  const run = (script: string, allowFail = false) => sh(lab.inventory, host, script, allowFail)
  const pb = (tasks: string) => `- hosts: runmaster\n  gather_facts: false\n  tasks:\n${tasks}`
  const playOn = (yaml: string, o: PlayOptions = {}) => play(yaml, { inventory: [lab.inventory], limit: host, ...o })
  const timed = async (f: () => Promise<PlayOutcome>): Promise<{ r: PlayOutcome; secs: number }> => {
    const t0 = Date.now()
    const r = await f()
    return { r, secs: (Date.now() - t0) / 1000 }
  }

  before(async function () {
    lab = await testLab(4)
    ;[host, other] = [lab.names[0]!, lab.names[3]!]
    await resetHosts(lab, [host, other])
  })

  after(async function () {
    if (lab) await resetHosts(lab, [host, other])
  })

  describe('uri', () => {
    const PASSWORD = 'Uri-pa55-never-shown'
    let server: Server
    let base: string
    /** The server's access log: every request the lab host sent. */
    const log: { method: string; path: string; body: string; auth?: string }[] = []

    before(async () => {
      // On the lab bridge, the one address both the controller and the hosts have.
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (c) => (body += c))
        req.on('end', () => {
          const path = (req.url ?? '/').split('?')[0]!
          log.push({ method: req.method ?? '', path, body, auth: req.headers.authorization })
          if (path === '/health') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}')
          else if (path === '/items') res.writeHead(201, { 'Content-Type': 'text/plain' }).end('created')
          else res.writeHead(404).end('not found')
        })
      })
      await new Promise<void>((resolve) => server.listen(0, lab.bridgeAddress, resolve))
      base = `http://${lab.bridgeAddress}:${(server.address() as AddressInfo).port}`
    })

    after(async () => {
      if (server) await new Promise((r) => server.close(r))
    })

    it('GET reads, in check mode too, and is never a change; the JSON body is parsed', async () => {
      const yaml = pb(`    - name: health
      uri: { url: "${base}/health", return_content: true }
      register: h
    - debug: { msg: "{{ h.status }} {{ h.json.status }} {{ h.content }}" }
`)
      log.length = 0
      const check = await playOn(yaml, { check: true })
      expect(check.exitCode, check.text).to.equal(0)
      expect(check.results('health')[0]!.status).to.equal('ok')
      expect(log.map((l) => `${l.method} ${l.path}`)).to.deep.equal(['GET /health'])
      const real = await playOn(yaml)
      expect(real.exitCode, real.text).to.equal(0)
      expect(real.totalChanged()).to.equal(0)
      expect(real.results().find((e) => e.task.startsWith('debug'))!.msg).to.equal('200 ok {"status":"ok"}')
      expect(log.map((l) => `${l.method} ${l.path}`)).to.deep.equal(['GET /health', 'GET /health'])
    })

    it('POST is a change: check mode predicts it without sending it; the run sends it once; the password never shows', async () => {
      const yaml = pb(`    - name: create item
      uri:
        url: "${base}/items"
        method: POST
        body_format: json
        body: { name: widget }
        status_code: [201]
        url_username: deploy
        url_password: "${PASSWORD}"
`)
      log.length = 0
      const check = await playOn(yaml, { check: true, diff: true, verbosity: 2 })
      expect(check.exitCode, check.text).to.equal(0)
      expect(check.results('create item')[0]!.status).to.equal('changed')
      expect(check.text).to.include(`would change: [${host}] POST ${base}/items`)
      expect(log, 'check mode sent a request').to.deep.equal([])
      const real = await playOn(yaml, { diff: true, verbosity: 2 })
      expect(real.exitCode, real.text).to.equal(0)
      expect(real.results('create item')[0]!.status).to.equal('changed')
      expect(log).to.deep.equal([
        { method: 'POST', path: '/items', body: '{"name": "widget"}', auth: `Basic ${Buffer.from(`deploy:${PASSWORD}`).toString('base64')}` },
      ])
      for (const r of [check, real]) expect(r.text + JSON.stringify(r.events)).to.not.include(PASSWORD)
    })

    it('a status that is not in status_code fails the task (exit 2)', async () => {
      const r = await playOn(
        pb(`    - name: missing
      uri: { url: "${base}/missing" }
    - debug: { msg: not reached }
`),
      )
      expect(r.exitCode).to.equal(2)
      expect(r.results('missing')[0]!.status).to.equal('failed')
      expect(r.results('missing')[0]!.msg).to.match(/404/)
      expect(r.results().map((e) => e.task)).to.deep.equal(['missing'])
    })
  })

  describe('wait_for', () => {
    it('a port that answers (sshd) and a path that appears later: the run waits for it', async () => {
      await run('rm -f /tmp/rmp-core-wf && nohup sh -c "sleep 3; touch /tmp/rmp-core-wf" >/dev/null 2>&1 &')
      const { r, secs } = await timed(() =>
        playOn(
          pb(`    - name: port
      wait_for: { port: 22, host: 127.0.0.1, timeout: 10 }
    - name: path
      wait_for: { path: /tmp/rmp-core-wf, timeout: 30 }
      register: w
`),
        ),
      )
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.results().map((e) => `${e.task}:${e.status}`)).to.deep.equal(['port:ok', 'path:ok'])
      expect(r.results('path')[0]!.output!.elapsed).to.be.at.least(1)
      expect(secs).to.be.at.least(2)
    })

    it('a closed port fails after timeout with the message', async () => {
      const { r, secs } = await timed(() =>
        playOn(
          pb(`    - name: closed
      wait_for: { port: 1, host: 127.0.0.1, timeout: 2, msg: port 1 never opened }
`),
        ),
      )
      expect(r.exitCode).to.equal(2)
      expect(r.results('closed')[0]!.msg).to.equal('port 1 never opened')
      expect(secs).to.be.at.least(2)
    })

    it('check mode looks once and does not wait', async () => {
      await run('rm -f /tmp/rmp-core-never')
      const { r, secs } = await timed(() =>
        playOn(
          pb(`    - name: path
      wait_for: { path: /tmp/rmp-core-never, timeout: 60 }
    - name: port
      wait_for: { port: 1, host: 127.0.0.1, timeout: 60 }
`),
          { check: true },
        ),
      )
      expect(r.exitCode, r.text).to.equal(0)
      expect(secs, 'check mode waited').to.be.lessThan(15)
      expect(r.results().map((e) => `${e.task}:${e.status}`)).to.deep.equal(['path:ok', 'port:ok'])
      expect(r.results('path')[0]!.output).to.deep.equal({ elapsed: 0, msg: '/tmp/rmp-core-never is not started now; check mode does not wait' })
      expect(r.results('port')[0]!.output).to.deep.equal({ elapsed: 0, msg: '127.0.0.1:1 is not started now; check mode does not wait' })
    })
  })

  it('include_vars loads a file from the controller (templated name), in check mode too', async () => {
    const yaml = pb(`    - include_vars: { file: "vars/{{ flavour }}.yml" }
    - name: show
      debug: { msg: "{{ app_port }} {{ app_users | join(',') }}" }
`)
    const files = { 'vars/blue.yml': 'app_port: 8081\napp_users: [ann, bob]\n' }
    for (const check of [true, false]) {
      const r = await playOn(yaml, { check, files, extraVars: { flavour: 'blue' } })
      expect(r.exitCode, r.text).to.equal(0)
      expect(r.results('show')[0]!.msg).to.equal('8081 ann,bob')
    }
  })

  it('pause waits the seconds asked, and is not a change', async () => {
    const { r, secs } = await timed(() =>
      playOn(
        pb(`    - name: breathe
      pause: { seconds: 2 }
`),
      ),
    )
    expect(r.exitCode, r.text).to.equal(0)
    expect(r.results('breathe')[0]!.status).to.equal('ok')
    expect(secs).to.be.at.least(2).and.lessThan(20)
  })

  it('fail stops only its host with the message and exit code 2; the other host carries on', async () => {
    const r = await play(
      pb(`    - name: guard
      fail: { msg: "secret_key is still the example value on {{ inventory_hostname }}" }
      when: inventory_hostname == '${host}'
    - name: after
      debug: { msg: carried on }
`),
      { inventory: [lab.inventory], limit: `${host},${other}` },
    )
    expect(r.exitCode).to.equal(2)
    expect(r.results('guard', host)[0]!.status).to.equal('failed')
    expect(r.results('guard', host)[0]!.msg).to.equal(`secret_key is still the example value on ${host}`)
    expect(r.results('guard', other)[0]!.status).to.equal('skipped')
    expect(r.results('after').map((e) => e.host)).to.deep.equal([other])
    expect(r.stats[host]!.failed).to.equal(1)
    expect(r.stats[other]!.failed).to.equal(0)
  })
})
