/**
 * wait_for — wait until a TCP port answers (or stops answering), or a file appears (or goes),
 * optionally until a file contains a pattern. Fails after `timeout` seconds.
 *
 * `host` and `path` are data, whatever they hold: the port test gets them as arguments, never as
 * part of a program.
 *
 * In check mode it looks once and does not wait: a service that the run would start is not
 * running yet.
 *
 *   - wait_for: { port: 8000, host: 127.0.0.1, timeout: 60 }
 *   - wait_for: { path: /run/app.pid }
 */
import { code, joinScripts, sh } from '../shell/index.js'
import { ModuleFailure, type HostModule, type Probe, type ProbeContext } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type WaitArgs = ArgsOf<typeof schema>

/**
 * `now` sets t to the time in hundredths of a second and g to its granularity: the kernel's
 * uptime (no program started), or whole seconds from `date` where /proc/uptime is not there. The
 * deadline adds g, so a timeout of N waits at least N seconds: with whole seconds read from
 * `date`, a wait that starts at 10.95 used to give up at 12.0 with a timeout of 2.
 */
const CLOCK = code(`now() {
  if { read -r up _ </proc/uptime; } 2>/dev/null && case $up in *.[0-9][0-9]) true ;; *) false ;; esac
  then f=\${up#*.}; t=$(( \${up%.*} * 100 + \${f#0} )); g=1
  else t=$(( $(date +%s) * 100 )); g=100; fi
}`)

/**
 * The one read that depends on the run mode: check mode changes nothing, so it does not wait for
 * anything either; it looks once and says so (`looked`). Ansible's waits in check mode too.
 */
function probe(a: WaitArgs, ctx: ProbeContext): Probe<{ met: boolean; elapsed: number; looked: boolean }> {
  const want = a.state === 'started' || a.state === 'present' ? 1 : 0
  // Values reach the loop as quoted shell variables; the bash -c program is a constant that gets
  // host and port as its own arguments, so no value is ever parsed as code by the inner shell.
  // Named variables, not $1..$4: inside check() those would be the function's own (empty) arguments.
  const test =
    a.port !== undefined
      ? sh`if command -v bash >/dev/null 2>&1; then timeout ${a.connect_timeout} bash -c ${'exec 3<>"/dev/tcp/$1/$2"'} rmp-wait-for "$wf_host" "$wf_port" 2>/dev/null; else python3 -c ${'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3]))'} "$wf_host" "$wf_port" ${a.connect_timeout} 2>/dev/null; fi`
      : a.search_regex !== undefined
        ? code('[ -e "$wf_path" ] && grep -Eq -- "$wf_regex" "$wf_path"')
        : code('[ -e "$wf_path" ]')
  const head = [
    sh`wf_host=${a.host}; wf_port=${String(a.port ?? 0)}; wf_path=${a.path ?? ''}; wf_regex=${a.search_regex ?? ''}`,
    sh`check() { ${test}; }`,
    sh`met() { if check; then [ 1 = ${want} ]; else [ 0 = ${want} ]; fi; }`,
  ]
  // Ansible's loop: look while the deadline is ahead, sleep between looks, and time out at the
  // first wake-up past it (so a timeout of 0 fails without a look, as in Ansible; nothing to
  // round up there).
  const loop = [
    CLOCK,
    sh`now; start=$t; sleep ${a.delay}; end=$((start + ${a.timeout} * 100${a.timeout > 0 ? code(' + g') : code('')}))`,
    code('while now; [ "$t" -lt "$end" ]; do'),
    code('  if met; then now; echo "met $(( (t - start) / 100 ))"; exit 0; fi'),
    sh`  sleep ${a.sleep}`,
    code('done'),
    code('echo "timeout $(( (t - start) / 100 ))"'),
  ]
  const once = [code('if met; then echo "met 0"; else echo "timeout 0"; fi')]
  return {
    id: `wait_for:${JSON.stringify(a)}:${ctx.check}`,
    script: joinScripts([...head, ...(ctx.check ? once : loop)]),
    parse: (o) => {
      const [word, secs] = o.stdout.trim().split(' ')
      if (word !== 'met' && word !== 'timeout') throw new Error(`unexpected output: ${o.stdout.trim()}`)
      return { met: word === 'met', elapsed: Number(secs), looked: ctx.check }
    },
  }
}

/** Ansible's words for a timeout. */
function timeoutMessage(a: WaitArgs): string {
  const gone = a.state === 'stopped' || a.state === 'absent'
  if (a.port !== undefined) return gone ? `Timeout when waiting for ${a.host}:${a.port} to stop.` : `Timeout when waiting for ${a.host}:${a.port}`
  if (gone) return `Timeout when waiting for ${a.path} to be absent.`
  return a.search_regex !== undefined ? `Timeout when waiting for search string ${a.search_regex} in ${a.path}` : `Timeout when waiting for file ${a.path}`
}

function what(a: WaitArgs): string {
  return a.port !== undefined ? `${a.host}:${a.port}` : `${a.path}${a.search_regex ? ` to contain /${a.search_regex}/` : ''}`
}

const probes = (a: WaitArgs, ctx: ProbeContext) => ({ wait: probe(a, ctx) })

const schema = {
  options: {
    host: { type: 'str', default: '127.0.0.1', doc: 'Host to connect to, seen from the managed host.' },
    port: { type: 'int', doc: 'TCP port.' },
    path: { type: 'path', doc: 'File to wait for.' },
    state: {
      type: 'str',
      default: 'started',
      choices: ['started', 'stopped', 'present', 'absent'],
      doc: 'started/present: wait until it is there; stopped/absent: until it is gone.',
    },
    timeout: { type: 'int', default: 300, doc: 'Seconds before failing.' },
    delay: { type: 'int', default: 0, doc: 'Seconds to wait before the first check.' },
    sleep: { type: 'int', default: 1, doc: 'Seconds between checks.' },
    connect_timeout: { type: 'int', default: 5, doc: 'Seconds for each connection attempt.' },
    search_regex: { type: 'str', doc: 'With path: wait until the file matches this extended regex.' },
    msg: { type: 'str', doc: 'Message on timeout.' },
  },
  requiredOneOf: [['port', 'path']],
  mutuallyExclusive: [['port', 'path']],
} as const satisfies Schema

export const waitFor: HostModule<WaitArgs, WaitArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'wait_for',
  doc: 'Wait for a port or a file.',
  readOnly: true,
  args: schema,
  returns: { elapsed: 'seconds waited' },
  probes,
  plan(a, { wait: r }) {
    if (!r.met && !r.looked) throw new ModuleFailure(a.msg ?? timeoutMessage(a), { elapsed: r.elapsed })
    return []
  },
  result(a, { wait: r }) {
    return { elapsed: r.elapsed, ...(r.looked && !r.met ? { msg: `${what(a)} is not ${a.state} now; check mode does not wait` } : {}) }
  },
}
