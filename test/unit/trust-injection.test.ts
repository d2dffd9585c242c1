// Trust 3 (no injected commands) and trust 7 (secret-looking options are secret), on the controller:
// a static guard over the source, and every host module's probes and plans run with hostile values
// in a throwaway sandbox, as an unprivileged user, where running a value as code leaves a canary.
import { probeList } from '../../src/engine/probe-batch.js'
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { prelude } from '../../src/connection/shell.js'
import { batchScript, splitBatchOutput } from '../../src/engine/probe-batch.js'
import { allModules } from '../../src/modules/index.js'
import { checkArgs, type ArgSpec } from '../../src/modules/schema.js'
import type { ExecStep, HostModule, ProbeContext, PrepareContext, Probe, ProbeState } from '../../src/modules/types.js'
import { maskUrl, splitUrlCredentials } from '../../src/probes/url-credentials.js'
import { textFilters } from '../../src/jinja/filters-text.js'
import { fedFrom } from '../../src/shell/feed.js'
import { code, sh } from '../../src/shell/index.js'
import { sourceFiles } from '../helpers/source-files.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SRC = join(ROOT, 'src')

// ---------------------------------------------------------------------------------------------
// (a) The static guard: how scripts are built in src/.

/** A value that is literal shell code written in our source: a string, or a choice between two. */
function literalCode(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e)) return literalCode(e.expression)
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true
  if (ts.isConditionalExpression(e)) return literalCode(e.whenTrue) && literalCode(e.whenFalse)
  return false
}

/** Text built outside `sh`: a template with values, a concatenation, a join, or a bare string. */
function builtByHand(e: ts.Expression): string | undefined {
  if (ts.isParenthesizedExpression(e)) return builtByHand(e.expression)
  if (ts.isTemplateExpression(e)) return 'a template literal with values'
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return 'a concatenation'
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join') return 'an array joined by hand'
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return "a bare string (write code('...'))"
  if (ts.isConditionalExpression(e)) return builtByHand(e.whenTrue) ?? builtByHand(e.whenFalse)
  return undefined
}

// Where a user's value is shell code on purpose, each with its reason.
// Files that compute the quoted form of a value for display (masking), not to build a script.
const QUOTE_FOR_DISPLAY: Record<string, string> = {
  'src/report/mask.ts': 'masks a secret also in its shell-quoted form, as a module may print it',
}

const CODE_FROM_VALUES: Record<string, string> = {
  'src/modules/shell.ts': "the shell module runs the task's command line: that is what it is for",
}

/** Rule breaks of one source file (path relative to the project). */
export function scriptRuleBreaks(rel: string, text: string): string[] {
  const problems: string[] = []
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true)
  const at = (n: ts.Node) => `${rel}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`
  const inShellOrConnection = rel.startsWith('src/shell/') || rel.startsWith('src/connection/')
  const scriptDirs = ['src/modules/', 'src/probes/', 'src/lab/'].some((d) => rel.startsWith(d))
  // Local functions and variables, to follow `script: f(...)` and `{ script }` one step.
  const functions = new Map<string, ts.Expression[]>()
  const variables = new Map<string, ts.Expression>()
  const collect = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name && n.body) {
      const returns: ts.Expression[] = []
      const walk = (m: ts.Node): void => {
        if (ts.isReturnStatement(m) && m.expression) returns.push(m.expression)
        if (!ts.isFunctionLike(m) || m === n) ts.forEachChild(m, walk)
      }
      walk(n)
      functions.set(n.name.text, returns)
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) variables.set(n.name.text, n.initializer)
    ts.forEachChild(n, collect)
  }
  collect(sf)
  const checkScriptValue = (value: ts.Expression, where: ts.Node) => {
    const direct = builtByHand(value)
    if (direct) return problems.push(`${at(where)}: a script is ${direct}; build it with sh\`...\``)
    if (ts.isIdentifier(value) && variables.has(value.text)) {
      const why = builtByHand(variables.get(value.text)!)
      if (why) problems.push(`${at(where)}: a script is ${why} (variable ${value.text}); build it with sh\`...\``)
    }
    if (ts.isCallExpression(value) && ts.isIdentifier(value.expression) && functions.has(value.expression.text)) {
      for (const r of functions.get(value.expression.text)!) {
        const why = builtByHand(r)
        if (why) problems.push(`${at(r)}: ${value.expression.text}() returns a script that is ${why}; build it with sh\`...\``)
      }
    }
  }
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !inShellOrConnection && !QUOTE_FOR_DISPLAY[rel]) {
      const from = (n.moduleSpecifier as ts.StringLiteral).text
      const names =
        n.importClause?.namedBindings && ts.isNamedImports(n.importClause.namedBindings)
          ? n.importClause.namedBindings.elements.map((e) => (e.propertyName ?? e.name).text)
          : []
      if (/connection\/shell(\.js)?$/.test(from)) problems.push(`${at(n)}: imports from connection/shell (quoting lives in src/shell: use sh)`)
      else if (names.includes('quote')) problems.push(`${at(n)}: imports quote (build scripts with sh, which quotes every value)`)
    }
    if (scriptDirs) {
      if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'script') checkScriptValue(n.initializer, n)
      if (ts.isShorthandPropertyAssignment(n) && n.name.text === 'script') checkScriptValue(n.name, n)
    }
    // Since steps, probes and connections take only a Script, code() is the one door left for
    // unquoted text: everywhere outside src/shell/ (which defines it) it takes literal text only.
    if (!rel.startsWith('src/shell/') && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'code' && !CODE_FROM_VALUES[rel]) {
      const arg = n.arguments[0]
      if (!arg || !literalCode(arg)) problems.push(`${at(n)}: code() with a computed value: code is for literal shell text only (values go through sh)`)
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return problems
}

describe('trust 3: scripts are built with sh (static guard over src/)', () => {
  const files = sourceFiles(SRC).map((p) => ({ rel: relative(ROOT, p), text: readFileSync(p, 'utf8') }))

  it('trust 3: no module, probe or lab file imports quote or builds a script by hand', () => {
    const problems = files.flatMap((f) => scriptRuleBreaks(f.rel, f.text))
    expect(problems, problems.join('\n')).to.deep.equal([])
  })

  it('trust 3: the guard catches each way of building a script by hand', () => {
    const cases: Record<string, string> = {
      template: 'const p = { id: "x", script: `rm -rf ${path}`, parse }',
      concat: "const s = { kind: 'exec', script: 'rm ' + path }",
      joined: "const lines = ['a']\nconst p = { script: lines.join('\\n') }",
      variable: 'const script = `chown ${u} ${p}`\nconst st = { kind: "exec", script }',
      helper: 'function build(p: string): string { return `cat ${p}` }\nconst probe = { script: build(x) }',
      computedCode: 'const s = { script: code(`rm ${p}`).text }',
      importQuote: "import { quote } from '../shell/index.js'",
      importConnection: "import { argv } from '../connection/shell.js'",
    }
    for (const [name, text] of Object.entries(cases)) expect(scriptRuleBreaks('src/modules/example.ts', text), name).to.have.length.greaterThan(0)
    expect(scriptRuleBreaks('src/engine/example.ts', 'const s = code(`rm ${p}`)'), 'computed code() in the engine').to.have.length(1)
    const fine = "const s = { kind: 'exec', script: sh`rm -f -- ${path}` }\nconst t = { script: code(a ? ' -f' : '') }"
    expect(scriptRuleBreaks('src/modules/example.ts', fine)).to.deep.equal([])
  })
})

// ---------------------------------------------------------------------------------------------
// (b) Hostile values in every string argument of every host module, run in a sandbox.

const CANARY_CMD = 'rmpcanary'
// Each would run rmpcanary if a shell read it as code; '-rmpcanary' would be taken as an option.
const HOSTILE = [
  `$(${CANARY_CMD})`,
  `\`${CANARY_CMD}\``,
  `x; ${CANARY_CMD}`,
  `x\n${CANARY_CMD}`,
  `x' ; ${CANARY_CMD} ; '`,
  `x" ; ${CANARY_CMD} ; "`,
  `x | ${CANARY_CMD}`,
  `-${CANARY_CMD}`,
]

// Arguments that are shell code or commands by design (Ansible's too), not values.
const CODE_BY_DESIGN: Record<string, string[]> = {
  shell: ['cmd', 'argv'], // a shell command line
  blockinfile: ['validate'], // validate commands, run by the upload with %s replaced
  lineinfile: ['validate'],
  copy: ['validate'],
  template: ['validate'],
  supervisor: ['command'], // written into supervisor's configuration, run by supervisord
}

interface Sandbox {
  dir: string
  stubs: string // rmpcanary only: probes run the host's real programs
  neutered: string // every program a stub: plans' steps run here
  canary: string
}

function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-inject-'))
  const stubs = join(dir, 'canary-bin')
  const neutered = join(dir, 'stub-bin')
  const work = join(dir, 'work')
  for (const d of [stubs, neutered, work]) mkdirSync(d)
  const canary = join(dir, 'work', 'CANARY')
  const canaryScript = `#!/bin/sh\necho "$0 $*" >> ${canary}\n`
  writeFileSync(join(stubs, CANARY_CMD), canaryScript, { mode: 0o755 })
  writeFileSync(join(neutered, CANARY_CMD), canaryScript, { mode: 0o755 })
  // A step's programs do nothing (mktemp gives a name inside the sandbox); arguments are logged.
  const stub = `#!/bin/sh\nprintf '%s\\0' "\${0##*/}" "$@" >> ${join(work, 'argv.log')}; printf '\\n\\0' >> ${join(work, 'argv.log')}\ncase "\${0##*/}" in mktemp) case "$*" in *-d*) exec /usr/bin/mktemp -d -p ${work} ;; *) exec /usr/bin/mktemp -p ${work} ;; esac ;; esac\nexit 0\n`
  const names =
    'apt-get apt-cache dpkg dpkg-query useradd usermod userdel groupadd groupmod groupdel chpasswd getent crontab git pip pip3 python3 python systemctl service update-rc.d supervisorctl psql pg_dump pg_restore runuser env rm cp mv mkdir chmod chown chgrp ln touch cat base64 mktemp date sleep timeout bash curl wget tar unzip ufw iptables id ls sed grep awk head tail dirname basename readlink find stat sha1sum sha256sum md5sum install sort cut tr wc xargs nproc uname hostname realpath test ssh ssh-keygen sudo su perl gzip file'.split(
      ' ',
    )
  for (const n of names) writeFileSync(join(neutered, n), stub, { mode: 0o755 })
  execFileSync('chown', ['-R', 'nobody', work])
  chmodSync(dir, 0o755)
  return { dir, stubs, neutered, canary }
}

/** Runs a script as nobody in the sandbox with a given PATH; never longer than `timeoutMs`. */
function runAsNobody(sb: Sandbox, script: string, path: string, stdin?: string | Buffer, timeoutMs = 30000): { stdout: string; code: number } {
  const r = spawnSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      'env',
      '-i',
      `PATH=${path}`,
      `HOME=${join(sb.dir, 'work')}`,
      'LANG=C.UTF-8',
      '/bin/sh',
      '-c',
      script,
    ],
    { cwd: join(sb.dir, 'work'), input: stdin, timeout: timeoutMs, encoding: 'utf8' },
  )
  return { stdout: r.stdout ?? '', code: r.status ?? -1 }
}

function fakePrepare(sb: Sandbox): PrepareContext {
  const file = join(sb.dir, 'work', 'local-file.txt')
  writeFileSync(file, 'local content\n')
  return {
    findFile: () => file,
    renderTemplate: () => 'rendered\n',
    readFile: (p) => readFileSync(p),
    evaluate: () => undefined,
    readUnknown: () => false,
    isUndefined: () => false,
    condition: () => true,
    vars: {},
  }
}

/** Plausible arguments for each host module on an empty controller sandbox. */
function baseArgs(work: string): Record<string, Record<string, unknown>> {
  return {
    apt: { name: ['rmp-no-such-package'] },
    apt_key: { file: `${work}/key.asc`, keyring: `${work}/keyring.gpg` },
    apt_repository: { repo: 'deb http://127.0.0.1:9/x stable main', filename: 'rmp-x' },
    blockinfile: { path: `${work}/block.txt`, block: 'x', create: true },
    command: { cmd: 'true', chdir: work, creates: `${work}/created`, removes: `${work}/removed` },
    copy: { content: 'x\n', dest: `${work}/copied.txt` },
    dnf: { name: ['rmp-no-such-package'], enablerepo: ['rmp-repo'], disablerepo: ['rmp-other'] },
    cron: { name: 'job', job: 'true', user: 'nobody' },
    file: { path: `${work}/touched`, state: 'touch', owner: 'nobody', group: 'nogroup' },
    get_url: { url: 'http://127.0.0.1:9/x', dest: `${work}/got`, url_username: 'u', url_password: 'pw', timeout: 2 },
    git: { repo: `file://${work}/no-repo.git`, dest: `${work}/checkout`, version: 'main', key_file: `${work}/key`, ssh_opts: '-o Foo=bar' },
    group: { name: 'rmpgrp' },
    ini_file: { path: `${work}/x.ini`, section: 's', option: 'o', value: 'v', mode: '0600' },
    locale_gen: { name: 'en_US.UTF-8' },
    lineinfile: { path: `${work}/line.txt`, line: 'x', regexp: '^x', create: true },
    package: { name: ['rmp-no-such-package'], state: 'present', use: 'apt' },
    ping: { data: 'pong' },
    pip: { name: ['rmp-no-such-package'], virtualenv: `${work}/venv`, extra_args: '--no-index', chdir: work },
    postgres_db: { name: 'rmpdb', owner: 'rmpowner', login_host: '127.0.0.1', login_user: 'u', login_password: 'pw', login_port: 9 },
    postgres_privs: {
      database: 'rmpdb',
      roles: ['rmprole'],
      privs: 'SELECT',
      objs: ['t'],
      type: 'table',
      schema: 'public',
      login_host: '127.0.0.1',
      login_port: 9,
      login_password: 'pw',
    },
    postgres_query: { query: 'SELECT 1', login_db: 'rmpdb', login_host: '127.0.0.1', login_port: 9, login_password: 'pw' },
    postgres_user: { name: 'rmpuser', password: 'pw', login_host: '127.0.0.1', login_port: 9, login_password: 'pw', comment: 'c' },
    setup: { filter: ['ansible_*'] },
    service: { name: 'rmp-no-such-service', state: 'started', pattern: 'rmp-x' },
    shell: { cmd: 'true', chdir: work, creates: `${work}/created`, executable: '/bin/sh' },
    stat: { path: `${work}/stat-me` },
    supervisor: { name: 'rmpprog', command: '/bin/true', state: 'started', directory: work, user: 'nobody', config_dir: `${work}/conf.d` },
    sysctl: { name: 'net.ipv4.ip_forward', value: '1', sysctl_file: `${work}/sysctl.conf`, sysctl_set: true },
    systemd: { name: 'rmp-no-such.service', state: 'started' },
    tempfile: { path: work, prefix: 'p', suffix: 's' },
    template: { src: 't.ejs', dest: `${work}/templated` },
    ufw: { rule: 'allow', to_port: '22', proto: 'tcp', from_ip: '10.0.0.1', comment: 'c' },
    unarchive: { src: `${work}/a.tar.gz`, dest: `${work}/unpacked`, remote_src: true },
    uri: { url: 'http://127.0.0.1:9/x', timeout: 2, url_username: 'u', url_password: 'pw' },
    user: { name: 'rmpuser', comment: 'c', home: `${work}/home`, shell: '/bin/sh', groups: ['rmpgrp'] },
    // stopped: the closed port meets it at the first look (a timeout of 0 would fail before any look)
    wait_for: { host: '127.0.0.1', port: 9, state: 'stopped', timeout: 1, connect_timeout: 1 },
  }
}

const isString = (s: ArgSpec) => (s.type === 'str' || s.type === 'path') && !s.choices
const isStringList = (s: ArgSpec) => s.type === 'list' && (s.elements === 'str' || s.elements === 'path')

interface Attempt {
  module: string
  option: string
  value: string
  outcome: 'refused' | 'ran'
  scripts: number
}

describe('trust 3: hostile values in every string argument of every host module (sandbox, as nobody)', function () {
  this.timeout(600000)
  const isRoot = process.getuid?.() === 0
  let sb: Sandbox
  const attempts: Attempt[] = []
  const planCtx: ProbeContext = { host: 'sandbox', facts: {}, check: false, diff: false }

  before(function () {
    if (!isRoot) this.skip()
    sb = makeSandbox()
  })
  after(() => {
    if (sb) rmSync(sb.dir, { recursive: true, force: true })
  })

  async function attempt(mod: HostModule<unknown, unknown>, input: Record<string, unknown>): Promise<{ refused: boolean; scripts: number }> {
    const checked = checkArgs(mod.args, input, false)
    if (checked.problems.length) return { refused: true, scripts: 0 }
    if (mod.validate?.(checked.args as never).length) return { refused: true, scripts: 0 }
    let p: unknown
    try {
      p = mod.prepare ? await mod.prepare(checked.args as never, fakePrepare(sb)) : checked.args
    } catch {
      return { refused: true, scripts: 0 }
    }
    let probes: Probe[]
    try {
      probes = probeList(mod.probes(p as never, { ...planCtx, check: true }))
    } catch {
      return { refused: true, scripts: 0 }
    }
    // The probes run for real (they only read), batched as the engine batches them.
    const token = 'RMPTEST'
    const out = runAsNobody(sb, batchScript(probes, token).text, `${sb.stubs}:/usr/sbin:/usr/bin:/sbin:/bin`)
    const parts = splitBatchOutput(out.stdout, probes.length, token)
    const state: Record<string, unknown> = {}
    let parsed = true
    probes.forEach((pr, i) => {
      try {
        state[pr.id] = pr.parse(parts[i]!)
      } catch {
        parsed = false
      }
    })
    let scripts = probes.length
    if (!parsed) return { refused: false, scripts }
    // The plan on that (absent, empty) state; its steps run with every program a stub.
    let steps: ExecStep[] = []
    try {
      steps = mod.plan(p as never, state as ProbeState, planCtx).flatMap((c) => c.steps.filter((s): s is ExecStep => s.kind === 'exec'))
    } catch {
      return { refused: false, scripts }
    }
    for (const st of steps) {
      runAsNobody(sb, prelude({ env: st.env }) + st.script.text, sb.neutered, st.stdin)
      scripts++
    }
    return { refused: false, scripts }
  }

  it('trust 3: the base arguments of every host module give scripts to run (else the test proves nothing)', async () => {
    const base = baseArgs(join(sb.dir, 'work'))
    const hostModules = allModules().filter((m): m is HostModule<unknown, unknown> => m.kind === 'host')
    const missing = hostModules.filter((m) => !base[m.name]).map((m) => m.name)
    expect(missing, 'host modules without base arguments in this test').to.deep.equal([])
    const none: string[] = []
    for (const m of hostModules) {
      const r = await attempt(m, base[m.name]!)
      if (r.refused || r.scripts === 0) none.push(m.name)
    }
    expect(none, 'modules whose base arguments ran no script').to.deep.equal([])
    expect(existsSync(sb.canary)).to.equal(false)
  })

  it('trust 3: no hostile value in any string argument is ever run (the canary is never created)', async () => {
    const base = baseArgs(join(sb.dir, 'work'))
    const hostModules = allModules().filter((m): m is HostModule<unknown, unknown> => m.kind === 'host')
    const ran: string[] = []
    for (const m of hostModules) {
      for (const [option, spec] of Object.entries(m.args.options)) {
        if (CODE_BY_DESIGN[m.name]?.includes(option)) continue
        if (!isString(spec) && !isStringList(spec)) continue
        for (const value of HOSTILE) {
          const input = { ...base[m.name], [option]: isStringList(spec) ? [value] : value }
          const r = await attempt(m, input)
          attempts.push({ module: m.name, option, value, outcome: r.refused ? 'refused' : 'ran', scripts: r.scripts })
          if (existsSync(sb.canary)) {
            ran.push(`${m.name}.${option} = ${JSON.stringify(value)}: ${readFileSync(sb.canary, 'utf8').trim()}`)
            rmSync(sb.canary)
          }
        }
      }
    }
    expect(ran, ran.join('\n')).to.deep.equal([])
    // The values did reach scripts: most attempts ran (a test where everything is refused proves nothing).
    expect(attempts.filter((a) => a.outcome === 'ran').length).to.be.greaterThan(attempts.length / 2)
  })

  it('trust 3: the sandbox does catch a value run as code (a script built by hand)', () => {
    const value = HOSTILE[0]!
    runAsNobody(sb, `echo ${value}`, `${sb.stubs}:/usr/bin:/bin`)
    expect(existsSync(sb.canary)).to.equal(true)
    rmSync(sb.canary)
    runAsNobody(sb, sh`echo ${value}`.text, `${sb.stubs}:/usr/bin:/bin`)
    expect(existsSync(sb.canary)).to.equal(false)
  })
})

// ---------------------------------------------------------------------------------------------
// The two holes of issue 11, and the pieces that close them.

describe('trust 3: wait_for and git', () => {
  it('trust 3: wait_for gives host and port to bash -c as arguments, never inside its program', () => {
    const m = allModules().find((x) => x.name === 'wait_for') as HostModule
    const script = probeList(
      m.probes({ host: '$(touch /tmp/X)', port: 80, state: 'started', timeout: 0, delay: 0, sleep: 1, connect_timeout: 1 } as never, {
        host: 'h',
        facts: {},
        check: true,
        diff: false,
      }),
    )[0]!.script.text
    expect(script).to.include(`bash -c 'exec 3<>"/dev/tcp/$1/$2"' rmp-wait-for "$wf_host" "$wf_port"`)
    expect(script).to.include(`wf_host='$(touch /tmp/X)'`)
  })

  it("trust 3: git refuses a repo, dest or version beginning with '-' (Ansible 2.14 runs --upload-pack)", () => {
    const m = allModules().find((x) => x.name === 'git') as HostModule
    const errs = (a: Record<string, unknown>) => m.validate!({ repo: 'https://h/r.git', dest: '/srv/x', version: 'HEAD', remote: 'origin', ...a } as never)
    expect(errs({ repo: '--upload-pack=touch /tmp/X' })[0]).to.match(/begins with '-'/)
    expect(errs({ dest: '-x' })[0]).to.match(/begins with '-'/)
    expect(errs({ version: '--orphan' })[0]).to.match(/begins with '-'/)
    expect(errs({})).to.deep.equal([])
  })

  it('trust 3: git puts -- before every repository operand', () => {
    const m = allModules().find((x) => x.name === 'git') as HostModule
    const a = {
      repo: 'https://h/r.git',
      dest: '/srv/x',
      version: 'main',
      force: false,
      clone: true,
      update: true,
      remote: 'origin',
      bare: false,
      accept_hostkey: false,
      recursive: true,
      single_branch: false,
    }
    const probe = probeList(m.probes(a as never, { host: 'h', facts: {}, check: false, diff: false }))[0]!.script.text
    expect(probe).to.include('ls-remote --symref -- "$repo"')
  })
})

describe('trust 24: passwords in URLs', () => {
  it('trust 24: a URL is split into the URL without its password, the URL shown masked, and the password', () => {
    expect(splitUrlCredentials('https://deploy:s%40cret:x@git.example.org/app.git')).to.deep.equal({
      url: 'https://deploy@git.example.org/app.git',
      shown: 'https://deploy:********@git.example.org/app.git',
      password: 's@cret:x',
    })
    expect(splitUrlCredentials('https://deploy@h/x')).to.deep.equal({ url: 'https://deploy@h/x', shown: 'https://deploy@h/x' })
    expect(splitUrlCredentials('/srv/repo.git').password).to.equal(undefined)
    expect(maskUrl('https://:tok@h/p?q=a@b')).to.equal('https://:********@h/p?q=a@b')
  })

  it('trust 24: git gives the password to GIT_ASKPASS from a 0600 file, never on a command line', () => {
    const m = allModules().find((x) => x.name === 'git') as HostModule
    const a = {
      repo: 'https://deploy:Pw-1$(x)@h/r.git',
      dest: '/srv/x',
      version: 'main',
      force: false,
      clone: true,
      update: true,
      remote: 'origin',
      bare: false,
      accept_hostkey: false,
      recursive: true,
      single_branch: false,
    }
    const ctx = { host: 'h', facts: {}, check: false, diff: false }
    const probe = probeList(m.probes(a as never, ctx))[0]!
    expect(probe.script.text).to.not.include('Pw-1')
    expect(probe.id).to.not.include('Pw-1')
    expect(probe.script.text).to.include('repo=https://deploy@h/r.git')
    expect(probe.script.text).to.include('GIT_ASKPASS="$rmp_cred/askpass"')
    const state = {
      git: { git: true, dest: 'absent', modified: [], remote: { refs: { HEAD: 'a'.repeat(40), 'refs/heads/main': 'a'.repeat(40) }, headBranch: 'main' } },
    }
    const ch = m.plan(a as never, state, ctx)
    expect(ch[0]!.summary).to.include('https://deploy:********@h/r.git')
    expect(JSON.stringify(ch)).to.not.include('Pw-1')
  })

  it('trust 24: the askpass helper answers the password, byte for byte, and goes away', () => {
    const m = allModules().find((x) => x.name === 'git') as HostModule
    const pw = "p w'$(x)`y`\\z"
    const a = {
      repo: `https://deploy:${encodeURIComponent(pw)}@h/r.git`,
      dest: '/srv/x',
      version: 'main',
      force: false,
      clone: true,
      update: true,
      remote: 'origin',
      bare: false,
      accept_hostkey: false,
      recursive: true,
      single_branch: false,
    }
    const probe = probeList(m.probes(a as never, { host: 'h', facts: {}, check: false, diff: false }))[0]!.script.text
    // The part that sets GIT_ASKPASS, then ask it as git would, and report whether the dir is gone.
    const setup = probe.slice(probe.indexOf('rmp_cred=$('), probe.indexOf('export GIT_ASKPASS') + 'export GIT_ASKPASS'.length)
    const out = execFileSync(
      '/bin/sh',
      [
        '-c',
        `( ${setup}\nprintf '%s\\n' "$rmp_cred" > "$RMP_T/dir"; stat -c %a "$rmp_cred" "$rmp_cred/pw" > "$RMP_T/modes"; "$GIT_ASKPASS" "Password for 'https://deploy@h': " )`,
      ],
      { env: { ...process.env, RMP_T: mkdtempSync(join(tmpdir(), 'rmp-askpass-')) } },
    ).toString()
    expect(out).to.equal(pw)
  })

  it('trust 24: uri sends the request (password, URL, headers) on stdin, not as an argument', () => {
    const m = allModules().find((x) => x.name === 'uri') as HostModule
    const a = {
      url: 'https://u:UrlPw@h/x',
      method: 'POST',
      body_format: 'raw',
      headers: { 'X-Token': 'HeaderTok' },
      status_code: [200],
      return_content: false,
      timeout: 3,
      validate_certs: true,
      url_username: 'u',
      url_password: 'Pw-uri',
    }
    const ch = m.plan(a as never, {}, { host: 'h', facts: {}, diff: false })
    const step = ch[0]!.steps[0] as ExecStep
    for (const s of ['Pw-uri', 'UrlPw', 'HeaderTok']) expect(step.script.text).to.not.include(s)
    expect(ch[0]!.summary).to.equal('POST https://u:********@h/x')
    // Everything after the here-document's first line is data for python's stdin, not words.
    const firstLine = step.script.text.split('\n')[0]!
    expect(firstLine).to.match(/^base64 -d <<'RMP_URI' \| python3 -c '/)
  })
})

describe('shell: fedFrom', () => {
  it('feeds any bytes to a one-line command and refuses a multi-line one', () => {
    const data = "a'b\n$(x)\n`y`\nRMP_DATA\n"
    expect(execFileSync('/bin/sh', ['-c', fedFrom(data, 'RMP_DATA', sh`cat`).text]).toString()).to.equal(data)
    expect(() => fedFrom('x', 'T', code('{\ncat\n}'))).to.throw(/one line/)
    expect(() => fedFrom('x', 'T', sh`printf '%s' ${'a\nb'}`)).to.not.throw()
  })
})

describe('quote filter', () => {
  it("is Python's shlex.quote, byte for byte, as Ansible's", () => {
    const values = ["it's", '', 'a b', '$(x)', 'plain', 'é', 'a"b', '-rf', 'x\ny']
    const py = execFileSync('python3', ['-c', 'import json, shlex, sys\nprint(json.dumps([shlex.quote(v) for v in json.load(sys.stdin)]))'], {
      input: JSON.stringify(values),
    }).toString()
    expect(values.map((v) => textFilters.quote(v))).to.deep.equal(JSON.parse(py))
    expect(textFilters.quote(null)).to.equal("''")
  })
})

// ---------------------------------------------------------------------------------------------
// Trust 7: options whose names look secret are declared secret.

const SECRET_NAME = /(^|_)(password|passwd|passphrase|pass|pw|pwd|token|secret|credentials?|api_?key|private_key|auth_key)($|_)|_key$/i
// Options whose names look secret but hold no secret, each with its reason.
const NOT_SECRET: Record<string, string> = {
  'postgres_user.no_password_changes': 'a flag',
  'user.update_password': 'a choice (always, on_create)',
  'user.password_lock': 'a flag',
}

describe('trust 7: secret-looking options are secret', () => {
  it('trust 7: every option named like a password, token, secret or key is declared noLog (or listed as no secret)', () => {
    const missing: string[] = []
    for (const m of allModules()) {
      for (const [name, spec] of Object.entries(m.args.options)) {
        const names = [name, ...(spec.aliases ?? [])]
        if (!names.some((n) => SECRET_NAME.test(n))) continue
        if (NOT_SECRET[`${m.name}.${name}`]) continue
        if (!spec.noLog) missing.push(`${m.name}.${name}`)
      }
    }
    expect(missing, 'declare these noLog: true, or add them to NOT_SECRET with a reason').to.deep.equal([])
  })

  it('trust 7: the name pattern matches the secret options we know, and no ordinary ones', () => {
    for (const n of ['password', 'login_password', 'url_password', 'api_token', 'client_secret', 'ssh_private_key', 'aws_secret_key', 'vault_pass'])
      expect(SECRET_NAME.test(n), n).to.equal(true)
    for (const n of ['key_file', 'path', 'dest', 'keyring', 'owner', 'passive']) expect(SECRET_NAME.test(n), n).to.equal(false)
    for (const k of Object.keys(NOT_SECRET)) {
      const [mod, opt] = k.split('.')
      expect(allModules().find((m) => m.name === mod)?.args.options[opt!], `${k} exists`).to.not.equal(undefined)
    }
  })
})
