// Retry files, off by default as in current Ansible (retry_files_enabled turns them on): after a
// playbook where hosts failed or were unreachable, `<playbook>.retry` lists them, one a line, for
// `--limit @<playbook>.retry`. Written beside the playbook, or in retry_files_save_path.
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import type { HostStats } from '../engine/events.js'

/** The hosts to retry (failed or unreachable, sorted as Ansible sorts them). */
export function hostsToRetry(stats: Record<string, HostStats>): string[] {
  return Object.entries(stats)
    .filter(([, s]) => s.failed > 0 || s.unreachable > 0)
    .map(([h]) => h)
    .sort()
}

/** Writes the retry file if any host is to retry; its path, or undefined. */
export function writeRetryFile(playbook: string, stats: Record<string, HostStats>, savePath?: string): string | undefined {
  const hosts = hostsToRetry(stats)
  if (hosts.length === 0) return undefined
  const dir = savePath ? resolve(savePath) : dirname(resolve(playbook))
  const file = join(dir, `${basename(playbook, extname(playbook))}.retry`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, hosts.map((h) => `${h}\n`).join(''))
  return file
}

/** After a playbook: the retry file if enabled and needed, and Ansible's line saying how to use it. */
export function retryNote(
  playbook: string,
  stats: Record<string, HostStats>,
  o: { retryFilesSavePath?: string; json: boolean },
  io: { out(s: string): void; err(s: string): void },
): void {
  const file = writeRetryFile(playbook, stats, o.retryFilesSavePath)
  if (file) (o.json ? io.err : io.out)(`\tto retry, use: --limit @${file}\n`)
}
