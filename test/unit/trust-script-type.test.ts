// Trust 3, case 3 of issue 11: a script built by concatenating strings is impossible by
// construction. Steps, probes and connections take a Script, which only sh/code/argv/joinScripts
// make: the TypeScript compiler rejects a string (or a look-alike object), and `new Script` outside
// src/shell throws at run time.
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { code, Script, sh } from '../../src/shell/index.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Type-checks one snippet against the real src/ and returns the compiler's error messages. */
function typeErrors(snippets: Record<string, string>): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rmp-script-type-'))
  try {
    const header = [
      `import type { ExecStep, Probe } from '${join(ROOT, 'src/modules/types.js')}'`,
      `import type { Connection } from '${join(ROOT, 'src/connection/connection.js')}'`,
      `import { code, joinScripts, sh, Script } from '${join(ROOT, 'src/shell/index.js')}'`,
      'declare const path: string',
      'declare const conn: Connection',
      'export {}',
    ].join('\n')
    const files = Object.entries(snippets).map(([name, body]) => {
      const f = join(dir, `${name}.ts`)
      writeFileSync(f, `${header}\n${body}\n`)
      return [name, f] as const
    })
    const program = ts.createProgram(
      files.map(([, f]) => f),
      {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        skipLibCheck: true,
        types: ['node'],
      },
    )
    const out: Record<string, string[]> = {}
    for (const [name, f] of files) {
      out[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    }
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('trust 3: a hand-built script does not compile (Script is a type only src/shell makes)', function () {
  this.timeout(60000)

  it('trust 3: a string, a concatenation, a template or a look-alike object is refused where a script goes; sh and code are accepted', () => {
    const errs = typeErrors({
      concatStep: "const s: ExecStep = { kind: 'exec', script: 'rm -rf ' + path }",
      templateProbe: 'const p: Probe = { id: "x", script: `cat ${path}`, parse: () => 0 }',
      stringExec: "void conn.exec('rm ' + path)",
      lookAlike: "const s: ExecStep = { kind: 'exec', script: { text: 'rm -rf /', toString: () => '' } as { text: string; toString(): string } }",
      textOfScript: "const s: ExecStep = { kind: 'exec', script: sh`rm -- ${path}`.text + ' && reboot' }",
      fine: "const s: ExecStep = { kind: 'exec', script: sh`rm -f -- ${path}`, label: 'rm' }\nconst p: Probe = { id: 'x', script: joinScripts([code('set -e'), sh`cat -- ${path}`]), parse: () => 0 }\nvoid conn.exec(s.script)\nvoid p",
    })
    for (const name of ['concatStep', 'templateProbe', 'stringExec', 'lookAlike', 'textOfScript']) {
      expect(errs[name], name).to.have.length.greaterThan(0)
      expect(errs[name]!.join('\n'), name).to.match(/Script/)
    }
    expect(errs.fine).to.deep.equal([])
  })

  it('trust 3: new Script(...) outside src/shell throws; a Script is its text in JSON', () => {
    expect(() => new (Script as unknown as new (t: string) => Script)('rm -rf /')).to.throw(TypeError, /sh, code, argv or joinScripts/)
    expect(() => new (Script as unknown as new (t: string, k: symbol) => Script)('rm -rf /', Symbol('Script maker'))).to.throw(TypeError)
    expect(JSON.stringify({ script: sh`echo ${'a b'}` })).to.equal(JSON.stringify({ script: "echo 'a b'" }))
    expect(code('true')).to.be.instanceOf(Script)
  })
})
