// The lab's package index: wheel metadata made from Debian packages, and the PEP 503 pages.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectOfFile, renderSimpleIndex } from '../../src/lab/pip-simple-pages.js'
import {
  mergeRequires,
  normalizeName,
  recordHash,
  renderMetadata,
  renderRecord,
  requiresFromDebDepends,
  requiresFromEggInfo,
  wheelTag,
} from '../../src/lab/wheel-metadata.js'

describe('lab package index: wheels from Debian packages', () => {
  it('turns an egg-info requires.txt into Requires-Dist, sections into extras and markers', () => {
    const text = 'click\nsix>=1.0\n\n[:python_version < "3.8"]\nimportlib-metadata\n\n[ocsp]\nrequests>=2.26.0\n\n[dev:sys_platform == "win32"]\ncolorama\n'
    expect(requiresFromEggInfo(text)).to.deep.equal([
      'click',
      'six>=1.0',
      'importlib-metadata; (python_version < "3.8")',
      'requests>=2.26.0; extra == "ocsp"',
      'colorama; (sys_platform == "win32") and extra == "dev"',
    ])
  })

  it('takes the Python projects of a Depends line, without what a recent python3 meets', () => {
    const depends =
      'python3-async-timeout, python3-deprecated, python3-importlib-metadata | python3 (>> 3.8), python3-packaging (>= 20), python3:any, libpq5 (>= 10)'
    expect(requiresFromDebDepends(depends)).to.deep.equal(['async-timeout', 'deprecated', 'packaging'])
    expect(mergeRequires(['Deprecated>=1.2', 'hiredis; extra == "hiredis"'], ['deprecated', 'async-timeout'])).to.deep.equal([
      'Deprecated>=1.2',
      'hiredis; extra == "hiredis"',
      'async-timeout',
    ])
  })

  it('writes METADATA with the given Requires-Dist in place of the old ones, the description kept', () => {
    const pkgInfo = 'Metadata-Version: 1.2\nName: x\nVersion: 1.0\nRequires-Dist: old\n  continued\nSummary: s\n\nThe description.\n\nMore.\n'
    expect(renderMetadata(pkgInfo, ['a', 'b>=2'])).to.equal(
      'Metadata-Version: 2.1\nName: x\nVersion: 1.0\nSummary: s\nRequires-Dist: a\nRequires-Dist: b>=2\n\nThe description.\n\nMore.\n',
    )
  })

  it('adds Requires-Dist to a PKG-INFO that has no description, inside its header', () => {
    expect(renderMetadata('Metadata-Version: 2.1\nName: x\nLicense-File: LICENSE\n', ['click'])).to.equal(
      'Metadata-Version: 2.1\nName: x\nLicense-File: LICENSE\nRequires-Dist: click\n',
    )
  })

  it('tags a wheel by its extension modules, and hashes RECORD as pip checks it', () => {
    expect(wheelTag(['psycopg2/__init__.py', 'psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so'])).to.equal('cp311-cp311-linux_x86_64')
    expect(wheelTag(['click_repl/__init__.py'])).to.equal('py3-none-any')
    // sha256 of "" in urlsafe base64 without padding
    expect(recordHash(Buffer.from(''))).to.equal('sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
    expect(renderRecord([{ path: 'a,b.py', content: Buffer.from('x') }], 'p-1.dist-info/RECORD')).to.equal(
      `"a,b.py",${recordHash(Buffer.from('x'))},1\np-1.dist-info/RECORD,,\n`,
    )
  })
})

describe('lab package index: PEP 503 pages', () => {
  it('names projects as PEP 503 normalises them', () => {
    expect(normalizeName('Click_Repl.x')).to.equal('click-repl-x')
    expect(projectOfFile('click_repl-0.2.0-py3-none-any.whl')).to.equal('click-repl')
    expect(projectOfFile('python_dateutil-2.9.0.post0-py2.py3-none-any.whl')).to.equal('python-dateutil')
    expect(projectOfFile('psycopg2-2.9.5-cp311-cp311-linux_x86_64.whl')).to.equal('psycopg2')
    expect(projectOfFile('notes.txt')).to.equal(undefined)
  })

  it('links each file from its project page with its sha256, and each project from the root page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmp-simple-'))
    try {
      mkdirSync(join(dir, 'files'))
      writeFileSync(join(dir, 'files', 'Click_Repl-0.2.0-py3-none-any.whl'), '')
      renderSimpleIndex(dir)
      expect(readFileSync(join(dir, 'simple', 'click-repl', 'index.html'), 'utf8')).to.include(
        '<a href="../../files/Click_Repl-0.2.0-py3-none-any.whl#sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855">',
      )
      expect(readFileSync(join(dir, 'simple', 'index.html'), 'utf8')).to.include('<a href="click-repl/">click-repl</a>')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
