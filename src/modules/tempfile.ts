/**
 * tempfile — create a temporary file or directory on the host (ansible.builtin.tempfile).
 *
 * The name is `prefix` (default `ansible.`), random characters and `suffix`, in `path` (default:
 * $TMPDIR, else /tmp); a file is made with mode 0600, a directory with 0700, by mktemp. The new
 * path is returned as `path`. Every run makes a new one, so the task always changes. As in
 * Ansible, the module does not run in check mode: the task is skipped there and `path` is not set.
 *
 *   - tempfile: { state: directory, suffix: build }
 *     register: build_dir
 */
import { sh } from '../shell/index.js'
import { hostModule, type Change } from './types.js'

/** What the mktemp step printed (path, then `uid gid mode size owner group`) as Ansible's result. */
export function parseMktemp(stdout: string, state: string): Record<string, unknown> {
  const [path = '', st = ''] = stdout.split('\n')
  const [uid, gid, mode, size, owner, group] = st.split(' ')
  if (group === undefined) return { path }
  return { path, uid: Number(uid), gid: Number(gid), owner, group, mode: mode!.padStart(4, '0'), size: Number(size), state }
}

export const tempfile = hostModule({
  kind: 'host',
  name: 'tempfile',
  doc: 'Create a temporary file or directory (mktemp); returns its path.',
  args: {
    options: {
      state: { type: 'str', default: 'file', choices: ['file', 'directory'], doc: 'Make a file or a directory.' },
      path: { type: 'path', doc: 'Where to make it (default: $TMPDIR, else /tmp).' },
      prefix: { type: 'str', default: 'ansible.', doc: 'The start of its name.' },
      suffix: { type: 'str', default: '', doc: 'The end of its name.' },
    },
  },
  returns: {
    path: 'the file or directory made',
    state: 'file or directory',
    mode: 'its mode',
    owner: 'owner',
    group: 'group',
    uid: 'uid',
    gid: 'gid',
    size: 'size',
  },
  checkMode: false,
  probes: () => ({}),
  plan(a): Change[] {
    const opts = [
      ...(a.state === 'directory' ? ['-d'] : []),
      a.path !== undefined ? `--tmpdir=${a.path}` : '--tmpdir',
      ...(a.suffix !== '' ? [`--suffix=${a.suffix}`] : []),
    ]
    return [
      {
        summary: `create a temporary ${a.state} in ${a.path ?? '$TMPDIR or /tmp'}`,
        // The path, then what Ansible adds to a result that has one (owner, mode, size).
        steps: [
          {
            kind: 'exec',
            label: 'mktemp',
            script: sh`p=$(mktemp ${opts} -- ${`${a.prefix}XXXXXXXX`}) && printf '%s\n' "$p" && stat -c '%u %g %a %s %U %G' -- "$p"`,
          },
        ],
      },
    ]
  },
  result(a, _state, outputs) {
    const out = outputs.find((o) => o.step.kind === 'exec' && o.step.label === 'mktemp')
    return out ? parseMktemp(out.stdout, a.state) : {}
  },
})
