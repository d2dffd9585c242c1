// template: rendered on the controller, then planned like copy.
import { expect } from 'chai'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkArgs } from '../../../src/modules/schema.js'
import { template, withNewlines } from '../../../src/modules/template.js'
import type { ProbeContext, PrepareContext, PutStep } from '../../../src/modules/types.js'
import { DIFF_LIMIT, pathProbeId } from '../../../src/probes/files.js'
import { fakePath, missingPath } from '../probes/files-recorded.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const dir = mkdtempSync(join(tmpdir(), 'rmp-tpl-'))
writeFileSync(join(dir, 'site.conf.ejs'), 'ignored: the fake renderer answers')
chmodSync(join(dir, 'site.conf.ejs'), 0o750)

function prepCtx(rendered: string): PrepareContext {
  return {
    findFile: (_k, n) => join(dir, n),
    renderTemplate: () => rendered,
    readFile: () => Buffer.alloc(0),
    evaluate: () => undefined,
    readUnknown: () => false,
    isUndefined: () => false,
    condition: () => true,
    vars: {},
  }
}

async function prep(a: Record<string, unknown>, rendered: string) {
  const r = checkArgs(template.args, a, false)
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '))
  return template.prepare!(r.args as never, prepCtx(rendered))
}

describe('template module', () => {
  it('puts the rendered text with mode and validate; an identical result changes nothing', async () => {
    const a = await prep({ src: 'site.conf.ejs', dest: '/etc/nginx/nginx.conf', mode: '0644', validate: 'nginx -t -c %s' }, 'worker_processes 4;\n')
    const st = { dest: fakePath('/etc/nginx/nginx.conf', { content: 'worker_processes 2;\n' }) }
    const ch = template.plan(a, st, ctx)
    const put = ch[0]!.steps[0] as PutStep
    expect(put).to.deep.include({ kind: 'put', path: '/etc/nginx/nginx.conf', mode: '0644', validate: 'nginx -t -c %s' })
    expect(put.content.toString()).to.equal('worker_processes 4;\n')
    expect(ch[0]!.diff).to.deep.equal({ path: '/etc/nginx/nginx.conf', before: 'worker_processes 2;\n', after: 'worker_processes 4;\n' })
    const same = { dest: fakePath('/etc/nginx/nginx.conf', { content: 'worker_processes 4;\n' }) }
    expect(template.plan(a, same, ctx)).to.deep.equal([])
  })

  it('reads the destination content only when a diff is asked for', async () => {
    const a = await prep({ src: 'site.conf.ejs', dest: '/x' }, '')
    expect(template.probes(a, ctx).dest.id).to.equal(pathProbeId('/x', { checksum: 'sha1', contentLimit: DIFF_LIMIT }))
    expect(template.probes(a, { ...ctx, diff: false }).dest.id).to.equal(pathProbeId('/x', { checksum: 'sha1', contentLimit: 0 }))
  })

  it('mode: preserve takes the template file mode', async () => {
    const a = await prep({ src: 'site.conf.ejs', dest: '/x', mode: 'preserve' }, 'x')
    const ch = template.plan(a, { dest: missingPath('/x') }, ctx)
    expect((ch[0]!.steps[0] as PutStep).mode).to.equal('0750')
  })

  it('newline_sequence rewrites line endings', async () => {
    expect(withNewlines('a\r\nb\n', '\n')).to.equal('a\nb\n')
    expect(withNewlines('a\nb\n', '\r\n')).to.equal('a\r\nb\r\n')
    const a = await prep({ src: 'site.conf.ejs', dest: '/x', newline_sequence: '\r\n' }, 'a\nb\n')
    expect(a.data.toString()).to.equal('a\r\nb\r\n')
  })

  it('names its template for the load-time check, and requires src and dest', () => {
    expect(template.localFiles!({ src: 'a.ejs' } as never)).to.deep.equal([{ kind: 'templates', name: 'a.ejs', arg: 'src' }])
    expect(checkArgs(template.args, { src: 'a' }, true).problems.map((p) => p.message)).to.deep.equal(["missing required argument 'dest'"])
  })
})
