// include_vars with `dir:` (files_matching, ignore_files, extensions, depth,
// ignore_unknown_extensions, name), Ansible as the judge: the same playbook through ansible-playbook
// and rm-play on localhost; per task the files read (ansible_included_var_files, in order) and the
// merged values, compared. Bad arguments are load-time errors.
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost } from '../helpers/ansible-local.js'
import { loadErrors } from '../helpers/load-playbook.js'

/** An include_vars task, then what it read and the merged `v` as a debug message. */
const included = (name: string, args: string, show = 'v') => `    - name: ${name}
      include_vars: ${args}
      register: r
      ignore_errors: true
    - name: ${name} read
      debug: { msg: "{{ r.ansible_included_var_files | default([]) | map('replace', base, '') | list }} {{ ${show} | default('-') }}" }
`

const FILES = {
  'vars/d/b.yml': 'v: b\nonly_b: 1\n',
  'vars/d/a.yml': 'v: a\n',
  'vars/d/Upper.yml': 'v: upper\n',
  'vars/d/c.json': '{"v": "c"}\n',
  'vars/d/notes.txt': 'v: txt\n',
  'vars/d/empty.yml': '',
  'vars/d/sub/a.yml': 'v: sub\n',
  'vars/d/sub/deeper/x.yml': 'v: deeper\n',
  'vars/d/sub-b/y.yml': 'v: sub-b\n',
  'roles/r/vars/conf/x.yml': 'v: role-conf\n',
  'roles/r/vars/main.yml': 'from_main: 1\n',
  'roles/r/tasks/main.yml': included('role dir', '{ dir: conf }') + included('role vars dir', '{ dir: vars/conf }'),
}

describe('include_vars dir, Ansible as the judge', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('reads the files in sorted-walk order with each filter, fails on an unknown extension, and resolves dir in a role', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  vars:
    base: "{{ playbook_dir }}/"
  tasks:
${included('all known', '{ dir: vars/d, ignore_unknown_extensions: true }')}${included('unknown fails', '{ dir: vars/d }')}${included(
        'depth',
        '{ dir: vars/d, depth: 2, ignore_unknown_extensions: true }',
      )}${included('files_matching', "{ dir: vars/d, files_matching: '^[ab]', ignore_unknown_extensions: true }")}${included(
        'ignore_files list',
        "{ dir: vars/d, ignore_files: [notes.txt, 'c\\.json', 'b\\.yml'] }",
      )}${included('ignore_files string', "{ dir: vars/d, ignore_files: 'notes.txt b.yml', ignore_unknown_extensions: true }", 'only_b')}${included(
        'extensions',
        '{ dir: vars/d, extensions: [json, txt], ignore_unknown_extensions: true }',
      )}${included('into a name', '{ dir: vars/d/sub, name: bag }', 'bag')}${included('missing dir', '{ dir: vars/none }')}${included(
        'a file not a dir',
        '{ dir: vars/d/a.yml }',
      )}
    - include_role: { name: r }
`,
      FILES,
    )
    expect(r.rm, `rm-play:\n${r.rmRun.text}\nansible stderr:\n${r.ansStderr}`).to.deep.equal(r.ans)
    // the walk is sorted by path ('sub-b' before 'sub/deeper'), not depth first
    expect(r.rm['all known read']).to.deep.equal([
      "ok ['vars/d/Upper.yml', 'vars/d/a.yml', 'vars/d/b.yml', 'vars/d/c.json', 'vars/d/empty.yml', 'vars/d/sub/a.yml', 'vars/d/sub-b/y.yml', 'vars/d/sub/deeper/x.yml'] deeper",
    ])
    expect(r.rm['unknown fails']).to.deep.equal(['failed'])
  })

  it('bad arguments are load-time errors with their place', () => {
    const errors = loadErrors(`- hosts: all
  tasks:
    - include_vars: { file: a.yml, dir: vars }
    - include_vars: { file: a.yml, depth: 1 }
    - include_vars: { dir: vars, extensions: yml }
    - include_vars: { dir: vars, files_matching: '(' }
    - include_vars: { name: x }
`)
    const text = errors.map((e) => `${e.pos?.line} ${e.message}`)
    expect(text).to.have.length(5)
    expect(text[0]).to.match(/^3 .*file cannot be given with dir/)
    expect(text[1]).to.match(/^4 .*file cannot be given with depth/)
    expect(text[2]).to.match(/^5 .*extensions must be a list/)
    expect(text[3]).to.match(/^6 .*invalid regular expression: \(/)
    expect(text[4]).to.match(/^7 .*one of file or dir is required/)
  })
})
