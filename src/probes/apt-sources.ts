// The one-line apt source files Ansible's apt_repository reads: /etc/apt/sources.list and
// /etc/apt/sources.list.d/*.list, each with its mode and exact content (base64, so no byte of it
// is read by the shell or lost).
import { sh } from '../shell/index.js'
import type { Probe, ProbeOutput } from '../contract/types.js'
import { sections } from './output.js'

export const SOURCES_LIST = '/etc/apt/sources.list'
export const SOURCES_PARTS = '/etc/apt/sources.list.d'

export interface SourcesFile {
  path: string
  /** Octal permission bits, as stat %a prints them ("644"). */
  mode: string
  content: string
}

export function parseSourcesFiles(out: ProbeOutput): SourcesFile[] {
  const files: SourcesFile[] = []
  for (const [name, text] of sections(out.stdout)) {
    if (!/^f\d+$/.test(name)) continue
    const [path = '', mode = '', ...b64] = text.split('\n')
    files.push({ path, mode, content: Buffer.from(b64.join(''), 'base64').toString('utf8') })
  }
  return files
}

export function sourcesFilesProbe(): Probe<SourcesFile[]> {
  return {
    id: 'apt-sources-files',
    script: sh`n=0
for f in ${SOURCES_LIST} ${SOURCES_PARTS}/*.list; do
  [ -f "$f" ] || continue
  n=$((n+1))
  printf '@@f%s\\n%s\\n%s\\n' "$n" "$f" "$(stat -c %a -- "$f")"
  base64 < "$f"
done
echo @@end
exit 0`,
    parse: parseSourcesFiles,
  }
}
