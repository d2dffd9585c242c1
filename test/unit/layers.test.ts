// The layers of src/ (docs/ARCHITECTURE.md): which folder may import which, and no import cycles
// between files. Read from the source with the TypeScript parser, so a new import that crosses a
// layer fails here, with the file and the rule it breaks.
import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { sourceFiles } from '../helpers/source-files.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Folder → the folders it may import (besides itself). Lower layers first. */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  shell: [], // building shell text: sh, quoting, here-documents, shell words, remote temp paths
  text: [], // pure text helpers: tail, yes/no spellings, "is this a template"
  contract: ['shell'], // the types stages hand each other: Probe, Change, ExecStep, PutStep
  jinja: [], // the Jinja2 engine with Ansible's filters, tests and lookups (a leaf: data in, text out)
  connection: ['shell', 'text', 'contract'],
  probes: ['shell', 'text', 'contract'],
  modules: ['shell', 'text', 'contract', 'probes'],
  playbook: ['shell', 'text', 'contract', 'modules', 'report', 'jinja'],
  report: ['shell', 'text', 'contract', 'playbook'],
  engine: ['shell', 'text', 'contract', 'connection', 'probes', 'modules', 'playbook', 'report', 'jinja'],
  lab: ['shell', 'text', 'playbook'],
  cli: ['shell', 'text', 'contract', 'connection', 'probes', 'modules', 'playbook', 'report', 'engine', 'lab', 'jinja'],
}

/** Folder → folders it may import types from only (`import type`: nothing at run time). */
export const MAY_IMPORT_TYPES: Record<string, readonly string[]> = {
  report: ['engine'], // the reporters render the engine's events
}

/** Single file-to-file imports across the rules, each with its reason. The list only shrinks. */
export const ALLOWED_EDGES: Record<string, string> = {
  'src/modules/copy.ts -> src/playbook/vault.ts': "copy's prepare decrypts a vault-encrypted src with the playbook's vault",
  'src/modules/include-vars.ts -> src/playbook/vars-files.ts': 'include_vars reads a vars file exactly as vars_files does',
}

/** Import cycles between files that are allowed, each with its reason. The list only shrinks. */
export const ALLOWED_CYCLES: Record<string, string> = {
  'src/playbook/roles.ts <-> src/playbook/tasks.ts': "a role's tasks may include roles, and include_role loads a role's tasks: the loader's own recursion",
}

export interface Import {
  to: string
  typeOnly: boolean
}

/** The relative imports of one file (static, re-exports and dynamic), as project paths. */
export function importsOf(rel: string, text: string): Import[] {
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true)
  const out: Import[] = []
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return
    out.push({ to: normalize(join(dirname(rel), spec)).replace(/\.js$/, '.ts'), typeOnly })
  }
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)))
      add(n.moduleSpecifier.text, typeOnly)
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const named = n.exportClause && ts.isNamedExports(n.exportClause) ? n.exportClause.elements : undefined
      add(n.moduleSpecifier.text, n.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)))
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text, false)
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return out
}

const folderOf = (rel: string) => rel.split('/')[1]!

/** Imports that break the folder rules. */
export function layerBreaks(graph: Map<string, Import[]>): string[] {
  const problems: string[] = []
  for (const [from, imports] of graph) {
    const f = folderOf(from)
    if (!MAY_IMPORT[f]) {
      problems.push(`${from}: src/${f}/ is not in the layer table (test/unit/layers.test.ts, docs/ARCHITECTURE.md): add it`)
      continue
    }
    for (const i of imports) {
      const t = folderOf(i.to)
      if (t === f || MAY_IMPORT[f]!.includes(t)) continue
      if (i.typeOnly && MAY_IMPORT_TYPES[f]?.includes(t)) continue
      if (ALLOWED_EDGES[`${from} -> ${i.to}`]) continue
      problems.push(`${from} imports ${i.to}${i.typeOnly ? ' (types)' : ''}: ${f}/ may not import ${t}/`)
    }
  }
  return problems
}

/** Groups of files that import each other at run time (type-only imports vanish when compiled). */
export function cycles(graph: Map<string, Import[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  let next = 0
  const connect = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const { to: w, typeOnly } of graph.get(v) ?? []) {
      if (typeOnly || !graph.has(w)) continue
      if (!index.has(w)) {
        connect(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        group.push(w)
      } while (w !== v)
      if (group.length > 1) out.push(group.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) connect(v)
  return out
}

const cycleName = (group: string[]) => group.join(' <-> ')

function projectGraph(): Map<string, Import[]> {
  const graph = new Map<string, Import[]>()
  for (const p of sourceFiles(join(ROOT, 'src'))) {
    const rel = relative(ROOT, p)
    graph.set(rel, importsOf(rel, readFileSync(p, 'utf8')))
  }
  return graph
}

describe('layers: which folder of src/ may import which', () => {
  const graph = projectGraph()

  it('every import follows the layer table', () => {
    const problems = layerBreaks(graph)
    expect(problems, problems.join('\n')).to.deep.equal([])
  })

  it('no import cycles between files (besides the listed ones)', () => {
    const found = cycles(graph)
      .map(cycleName)
      .filter((c) => !ALLOWED_CYCLES[c])
    expect(found, found.join('\n')).to.deep.equal([])
  })

  it('the lists of exceptions only shrink: each is still needed', () => {
    const edges = new Set([...graph].flatMap(([from, imports]) => imports.map((i) => `${from} -> ${i.to}`)))
    expect(
      Object.keys(ALLOWED_EDGES).filter((e) => !edges.has(e)),
      'stale ALLOWED_EDGES',
    ).to.deep.equal([])
    const found = new Set(cycles(graph).map(cycleName))
    expect(
      Object.keys(ALLOWED_CYCLES).filter((c) => !found.has(c)),
      'stale ALLOWED_CYCLES',
    ).to.deep.equal([])
  })

  it('the checker catches a forbidden import, a type import where only types are not allowed, an unknown folder and a cycle', () => {
    const g = (files: Record<string, string>) => new Map(Object.entries(files).map(([rel, text]) => [rel, importsOf(rel, text)]))
    expect(layerBreaks(g({ 'src/probes/x.ts': "import { m } from '../modules/m.js'" }))).to.have.length(1)
    expect(layerBreaks(g({ 'src/shell/x.ts': "export { a } from '../text/a.js'" }))).to.have.length(1)
    expect(layerBreaks(g({ 'src/connection/x.ts': "const m = await import('../engine/run.js')" }))).to.have.length(1)
    expect(layerBreaks(g({ 'src/modules/x.ts': "import type { E } from '../engine/events.js'" }))).to.have.length(1)
    expect(layerBreaks(g({ 'src/report/x.ts': "import type { E } from '../engine/events.js'" }))).to.deep.equal([])
    expect(layerBreaks(g({ 'src/report/x.ts': "import { E } from '../engine/events.js'" }))).to.have.length(1)
    expect(layerBreaks(g({ 'src/newthing/x.ts': '' }))[0]).to.match(/not in the layer table/)
    const cyc = g({
      'src/text/a.ts': "import { b } from './b.js'",
      'src/text/b.ts': "import { c } from './c.js'",
      'src/text/c.ts': "import { a } from './a.js'",
    })
    expect(cycles(cyc)).to.deep.equal([['src/text/a.ts', 'src/text/b.ts', 'src/text/c.ts']])
    const typesOnly = g({ 'src/text/a.ts': "import type { B } from './b.js'", 'src/text/b.ts': "import { a } from './a.js'" })
    expect(cycles(typesOnly)).to.deep.equal([])
  })
})
