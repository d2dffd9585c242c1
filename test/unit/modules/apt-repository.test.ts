// apt_repository: the file name, the line parsing and the write-back judged by Ansible's own
// SourcesList code (imported from ansible-core by python3), and the plan on recorded files.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { aptRepository, type RepoArgs } from '../../../src/modules/apt-repository.js'
import { dumpSources, parseSourceLine, parseSourcesText, suggestPath } from '../../../src/modules/apt-sources-list.js'
import { checkArgs } from '../../../src/modules/schema.js'
import type { Change, ExecStep, ProbeContext, PutStep } from '../../../src/modules/types.js'
import { parseSourcesFiles, type SourcesFile } from '../../../src/probes/apt-sources.js'

const ctx: ProbeContext = { host: 'h', facts: {}, check: false, diff: true }
const LAB_LIST = "# through the lab's apt proxy (see 01proxy)\ndeb http://deb.debian.org/debian/ bookworm main\n"
const lab = (...more: SourcesFile[]): SourcesFile[] => [{ path: '/etc/apt/sources.list', mode: '644', content: LAB_LIST }, ...more]

function plan(input: Record<string, unknown>, files: SourcesFile[]): Change[] {
  const { args, problems } = checkArgs(aptRepository.args, input, false)
  expect(problems).to.deep.equal([])
  return aptRepository.plan(args as RepoArgs, { files }, ctx)
}

const REPOS = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable',
  'deb-src https://user:pw@repo.example.org:8443/apt/ stable main',
  'deb [trusted=yes] file:/srv/rmp-repo ./',
  'deb http://ppa.launchpad.net/deadsnakes/ppa/ubuntu jammy main # the PPA',
]
const LINES = ['#deb  http://a  b c # x', '  # just a comment', '', 'deb http://a b c#frag', '##deb http://a b c', 'deb-src\thttp://x y  z', 'rpm http://x y']

/** Ansible's SourcesList, without apt_pkg: the file name it suggests and each line as it writes it back. */
function ansibleSays(): { names: string[]; lines: string[] } | undefined {
  const py = `import json, sys
from ansible.modules import apt_repository as m
class M: params = {'filename': None}
s = object.__new__(m.SourcesList); s.module = M()
a = json.load(sys.stdin)
def back(line):
    valid, enabled, source, comment = s._parse(line)
    return ('' if enabled else '# ') + source + (' # ' + comment if comment else '') + '\\n'
print(json.dumps({'names': [s._suggest_filename(s._parse(r)[2]) for r in a['repos']], 'lines': [back(l) for l in a['lines']]}))`
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify({ repos: REPOS, lines: LINES }), encoding: 'utf8' })
  if (r.status !== 0) {
    if (process.env.CI) throw new Error(`ansible-core's apt_repository cannot be imported: ${r.stderr}`)
    return undefined
  }
  return JSON.parse(r.stdout) as { names: string[]; lines: string[] }
}

describe('modules/apt_repository', () => {
  it("derives the file name and writes lines back as Ansible's own code does", function () {
    const judge = ansibleSays()
    if (!judge) this.skip()
    expect(REPOS.map((r) => suggestPath(parseSourceLine(r).source).replace('/etc/apt/sources.list.d/', ''))).to.deep.equal(judge.names)
    expect(LINES.map((l) => dumpSources([parseSourceLine(l)]))).to.deep.equal(judge.lines)
  })

  it('names recorded: the docker line, a given filename (.list added, even to foo.list)', () => {
    expect(suggestPath('deb [arch=amd64] https://download.docker.com/linux/debian bookworm stable')).to.equal(
      '/etc/apt/sources.list.d/download_docker_com_linux_debian.list',
    )
    expect(suggestPath('deb http://x y z', 'foo.list')).to.equal('/etc/apt/sources.list.d/foo.list.list')
    expect(parseSourcesText('a\r\nb\n\n')).to.have.length(3)
  })

  it('adds a new file with a diff and the update after it; then nothing to do', () => {
    const ch = plan({ repo: 'deb  [trusted=yes] file:/srv/rmp-repo ./  # local' }, lab())
    expect(ch.map((c) => c.summary)).to.deep.equal([
      'add deb [trusted=yes] file:/srv/rmp-repo ./ to /etc/apt/sources.list.d/file_srv_rmp_repo.list (a new file), then apt-get update',
    ])
    const put = ch[0]!.steps[0] as PutStep
    expect([put.kind, put.path, put.content, put.mode]).to.deep.equal([
      'put',
      '/etc/apt/sources.list.d/file_srv_rmp_repo.list',
      'deb [trusted=yes] file:/srv/rmp-repo ./\n',
      undefined,
    ])
    expect((ch[0]!.steps[1] as ExecStep).label).to.equal('update')
    expect(ch[0]!.diff).to.deep.equal({
      path: '/etc/apt/sources.list.d/file_srv_rmp_repo.list',
      before: '',
      after: 'deb [trusted=yes] file:/srv/rmp-repo ./\n',
    })
    const made = { path: '/etc/apt/sources.list.d/file_srv_rmp_repo.list', mode: '644', content: put.content as string }
    expect(plan({ repo: 'deb [trusted=yes] file:/srv/rmp-repo ./' }, lab(made))).to.deep.equal([])
  })

  it('enables a commented-out line where it is; mode only for the file appended to; no update when asked', () => {
    const ch = plan(
      { repo: 'deb http://a b c', mode: '0600', update_cache: false },
      lab({ path: '/etc/apt/sources.list.d/x.list', mode: '644', content: '#deb http://a b c\n' }),
    )
    expect(ch.map((c) => c.summary)).to.deep.equal(['enable deb http://a b c in /etc/apt/sources.list.d/x.list'])
    expect(ch[0]!.steps).to.have.length(1)
    expect((ch[0]!.steps[0] as PutStep).mode).to.equal(undefined)
    const added = plan({ repo: 'deb http://a b c', filename: 'mine', mode: '0600' }, lab())
    expect((added[0]!.steps[0] as PutStep).mode).to.equal('0600')
  })

  it('removes the line; a file left empty is deleted; absent and absent again', () => {
    const f = { path: '/etc/apt/sources.list.d/x.list', mode: '644', content: 'deb http://a b c\n' }
    const ch = plan({ repo: 'deb http://a b c', state: 'absent' }, lab(f))
    expect(ch[0]!.summary).to.equal('remove deb http://a b c from /etc/apt/sources.list.d/x.list (the file goes: no line is left), then apt-get update')
    expect((ch[0]!.steps[0] as ExecStep).script.text).to.equal('rm -f -- /etc/apt/sources.list.d/x.list')
    expect(plan({ repo: 'deb http://a b c', state: 'absent' }, lab())).to.deep.equal([])
    const kept = plan({ repo: 'deb http://a b c', state: 'absent', update_cache: false }, lab({ ...f, content: '# mine\ndeb http://a b c\n' }))
    expect((kept[0]!.steps[0] as PutStep).content).to.equal('# mine\n')
  })

  it('refuses an invalid line and ppa: at load time', () => {
    const problems = (repo: string) => aptRepository.validate!(checkArgs(aptRepository.args, { repo }, false).args as RepoArgs)
    expect(problems('http://a b c')).to.deep.equal(['Invalid repository string: http://a b c'])
    expect(problems('ppa:deadsnakes/ppa')[0]).to.match(/^ppa: repositories are not supported/)
  })

  it('parses the probe output (base64 content, mode)', () => {
    const b64 = Buffer.from('deb http://a b c\n').toString('base64')
    expect(parseSourcesFiles({ code: 0, stdout: `@@f1\n/etc/apt/sources.list\n644\n${b64}\n@@end\n` })).to.deep.equal([
      { path: '/etc/apt/sources.list', mode: '644', content: 'deb http://a b c\n' },
    ])
  })
})
