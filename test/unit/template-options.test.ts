// The template module's Jinja options (trim_blocks, lstrip_blocks, newline_sequence, the delimiter
// strings, output_encoding), Ansible as the judge: the same playbook through ansible-playbook and
// rm-play on localhost, each writes the files and shows their bytes (od -c), compared task by task.
import { expect } from 'chai'
import { hasAnsible } from '../helpers/ansible.js'
import { bothOnLocalhost } from '../helpers/ansible-local.js'
import { loadErrors } from '../helpers/load-playbook.js'

const TEMPLATE = `{% for x in items %}
    {% if x %}
  item {{ x }}
    {% endif %}
{% endfor %}
{# a comment #}
end
`

/** A template task writing out/<name>, then its bytes as a debug message. */
const written = (name: string, src: string, args: string) => `    - name: ${name}
      template: { src: ${src}, dest: "{{ playbook_dir }}/out/${name}"${args ? ', ' + args : ''} }
    - name: ${name} od
      command: od -An -c {{ playbook_dir }}/out/${name}
      register: bytes
      changed_when: false
    - name: ${name} bytes
      debug: { msg: "{{ bytes.stdout }}" }
`

describe('template module options, Ansible as the judge', function () {
  this.timeout(120_000)
  before(function () {
    if (!hasAnsible()) this.skip()
  })

  it('trim_blocks, lstrip_blocks (and a #jinja2: line over them), newline_sequence (as written in YAML either way) and output_encoding utf-8 render the same bytes', async () => {
    const r = await bothOnLocalhost(
      `- hosts: localhost
  gather_facts: false
  vars:
    items: [a, '', b]
  tasks:
    - file: { path: "{{ playbook_dir }}/out", state: absent }
      changed_when: false
    - file: { path: "{{ playbook_dir }}/out", state: directory }
      changed_when: false
${written('defaults', 't.j2', '')}${written('no_trim', 't.j2', 'trim_blocks: false')}${written('lstrip', 't.j2', 'lstrip_blocks: true')}${written(
        'both',
        't.j2',
        'trim_blocks: false, lstrip_blocks: true',
      )}${written('header_wins', 'h.j2', 'trim_blocks: false, lstrip_blocks: false')}${written('crlf', 't.j2', 'newline_sequence: "\\r\\n", lstrip_blocks: true')}${written(
        'escaped_cr',
        't.j2',
        "newline_sequence: '\\r', output_encoding: utf-8",
      )}`,
      { 'templates/t.j2': TEMPLATE, 'templates/h.j2': `#jinja2: trim_blocks: True, lstrip_blocks: True\n${TEMPLATE}` },
    )
    expect(r.rm, `rm-play:\n${r.rmRun.text}\nansible stderr:\n${r.ansStderr}`).to.deep.equal(r.ans)
    // the options do change the bytes (the comparison is not between identical files)
    expect(r.rm['no_trim bytes']).to.not.deep.equal(r.rm['defaults bytes'])
    expect(r.rm['lstrip bytes']).to.not.deep.equal(r.rm['defaults bytes'])
    expect(r.rm['header_wins bytes']).to.deep.equal(r.rm['lstrip bytes'])
  })

  it('other delimiters and encodings are load-time errors (file:line:col), not ignored', () => {
    const errors = loadErrors({
      'site.yml': `- hosts: all
  tasks:
    - template: { src: t.j2, dest: /tmp/t, variable_start_string: '[[', variable_end_string: ']]' }
    - template: { src: t.j2, dest: /tmp/t, output_encoding: latin-1 }
`,
      'templates/t.j2': 'x\n',
    })
    const text = errors.map((e) => `${e.pos?.line}:${e.pos?.col} ${e.message}`)
    expect(text).to.have.length(3)
    expect(text[0]).to.match(/^3:\d+ .*variable_start_string "\[\[" is not supported/)
    expect(text[1]).to.match(/^3:\d+ .*variable_end_string "\]\]" is not supported/)
    expect(text[2]).to.match(/^4:\d+ .*output_encoding "latin-1" is not supported/)
  })
})
