/**
 * uri — make an HTTP request from the host (python3's urllib, no other dependency) and check
 * the status. GET and HEAD only read, so they also run in check mode; other methods are changes.
 *
 * The request (URL, headers, body, `url_password`) reaches python on its standard input, never
 * on a command line, so `ps` on the host never shows it; a password written in the URL is shown
 * masked (`https://user:********@host/`).
 *
 *   - uri: { url: "http://127.0.0.1/health", status_code: 200, return_content: true }
 *     register: health
 *     until: health.status == 200
 *     retries: 10
 *     delay: 2
 */
import { createHash } from 'node:crypto'
import { fedFrom } from '../shell/feed.js'
import { sh, type Script } from '../shell/index.js'
import { maskUrl } from '../probes/url-credentials.js'
import { ModuleFailure, type Change, type HostModule, type Probe } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type UriArgs = ArgsOf<typeof schema>

const PY = `
import json, sys, ssl, time, base64, urllib.request, urllib.error, urllib.parse
a = json.loads(sys.stdin.buffer.read())
h = dict(a["headers"])
data = None
if a.get("body") is not None:
    if a["body_format"] == "json":
        data = json.dumps(a["body"]).encode(); h.setdefault("Content-Type", "application/json")
    elif a["body_format"] == "form-urlencoded":
        data = urllib.parse.urlencode(a["body"]).encode(); h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    else:
        data = str(a["body"]).encode()
if a.get("user") is not None:
    h["Authorization"] = "Basic " + base64.b64encode((a["user"] + ":" + (a.get("password") or "")).encode()).decode()
ctx = None if a["validate_certs"] else ssl._create_unverified_context()
t0 = time.time()
out = {}
try:
    r = urllib.request.urlopen(urllib.request.Request(a["url"], data=data, headers=h, method=a["method"]), timeout=a["timeout"], context=ctx)
    out = {"status": r.status, "url": r.geturl(), "headers": dict(r.headers), "content": r.read().decode("utf-8", "replace")}
except urllib.error.HTTPError as e:
    out = {"status": e.code, "url": a["url"], "headers": dict(e.headers), "content": e.read().decode("utf-8", "replace")}
except Exception as e:
    out = {"status": -1, "url": a["url"], "msg": "Status code was -1 and not %s: Request failed: %s" % (a["status_code"], e)}
out["elapsed"] = round(time.time() - t0, 3)
print(json.dumps(out))
sys.exit(0 if out["status"] in a["status_code"] else 1)
`

/**
 * The request travels as JSON in a here-document on python's stdin, never as an argument: the
 * password, the headers and the URL (which may hold user:password@) never show in `ps`.
 */
function script(a: UriArgs): Script {
  const payload = {
    url: a.url,
    method: a.method,
    body: a.body,
    body_format: a.body_format,
    headers: a.headers,
    status_code: a.status_code,
    timeout: a.timeout,
    validate_certs: a.validate_certs,
    user: a.url_username,
    password: a.url_password,
  }
  return fedFrom(JSON.stringify(payload), 'RMP_URI', sh`python3 -c ${PY}`)
}

const readOnly = (a: UriArgs) => a.method === 'GET' || a.method === 'HEAD'

function parse(a: UriArgs, stdout: string): Record<string, unknown> {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}')
  } catch {
    return { status: -1, msg: `no response: ${stdout.slice(0, 200)}` }
  }
  const headers = Object.fromEntries(Object.entries((r.headers as Record<string, string>) ?? {}).map(([k, v]) => [k.toLowerCase().replace(/-/g, '_'), v]))
  const out: Record<string, unknown> = { status: r.status, url: typeof r.url === 'string' ? maskUrl(r.url) : r.url, elapsed: r.elapsed, ...headers }
  if (r.msg) out.msg = r.msg
  const content = String(r.content ?? '')
  if (a.return_content) out.content = content
  if (String(headers.content_type ?? '').includes('json')) {
    try {
      out.json = JSON.parse(content)
    } catch {
      // not JSON after all
    }
  }
  return out
}

function probe(a: UriArgs): Probe<Record<string, unknown>> {
  // The id may be shown in an error: the password is not in it.
  const digest = createHash('sha256').update(JSON.stringify(a)).digest('hex').slice(0, 16)
  return { id: `uri:${a.method} ${maskUrl(a.url)} ${digest}`, script: script(a), parse: (o) => parse(a, o.stdout) }
}

// A read-only request (GET, HEAD...) is a probe, made in check mode too; any other is a step.
const probes = (a: UriArgs) => ({ response: readOnly(a) ? probe(a) : undefined })

const schema = {
  options: {
    url: { type: 'str', required: true, doc: 'The URL.' },
    method: { type: 'str', default: 'GET', choices: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], doc: 'HTTP method.' },
    body: { type: 'raw', doc: 'Request body.' },
    body_format: { type: 'str', default: 'raw', choices: ['raw', 'json', 'form-urlencoded'], doc: 'How to encode body.' },
    headers: { type: 'dict', default: {}, doc: 'Request headers.' },
    status_code: { type: 'list', elements: 'int', default: [200], doc: 'Accepted status codes.' },
    return_content: { type: 'bool', default: false, doc: 'Return the body as `content` (JSON bodies are always in `json`).' },
    timeout: { type: 'int', default: 30, doc: 'Seconds.' },
    validate_certs: { type: 'bool', default: true, doc: 'Check TLS certificates (false for self-signed).' },
    url_username: { type: 'str', aliases: ['user'], doc: 'Basic auth user.' },
    url_password: { type: 'str', aliases: ['password'], noLog: true, doc: 'Basic auth password.' },
  },
} as const satisfies Schema

export const uri: HostModule<UriArgs, UriArgs, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'uri',
  doc: 'Make an HTTP request from the host and check its status.',
  readOnly,
  args: schema,
  returns: { status: 'HTTP status (-1: no response)', json: 'parsed JSON body', content: 'body (return_content)', url: 'final URL', elapsed: 'seconds' },
  probes,
  plan(a, { response: r }): Change[] {
    if (!r)
      return [
        {
          summary: `${a.method} ${maskUrl(a.url)}`,
          steps: [{ kind: 'exec', script: script(a), okCodes: [0], secret: a.url_password !== undefined || maskUrl(a.url) !== a.url }],
        },
      ]
    if (!a.status_code.includes(Number(r.status)))
      throw new ModuleFailure(String(r.msg ?? `Status code was ${String(r.status)} and not ${JSON.stringify(a.status_code)}`), r)
    return []
  },
  result(a, { response }, outputs) {
    if (response) return response
    const o = outputs[outputs.length - 1]
    return o ? parse(a, o.stdout) : {}
  },
}
