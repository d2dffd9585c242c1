// A git daemon on the lab's bridge serving the project's apps (apps/<dir>/) as bare repositories,
// so that playbooks on the hosts can `git clone git://BRIDGE/<dir>.git` with no route outside.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startListening } from './daemon.js'
import { run } from './exec.js'
import { isRunning, type ProcRef } from './proc.js'

export const GIT_PORT = 9418

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'rm-play lab',
  GIT_AUTHOR_EMAIL: 'lab@rm-play.invalid',
  GIT_COMMITTER_NAME: 'rm-play lab',
  GIT_COMMITTER_EMAIL: 'lab@rm-play.invalid',
}

/** `git` with the settings that make it work on directories owned by anyone (we are root). */
function git(args: string[], env: Record<string, string> = {}, cwd?: string) {
  return run(['git', '-c', 'safe.directory=*', ...args], { env: { ...GIT_ENV, ...env }, cwd })
}

export async function ensureGitDaemon(current: ProcRef | undefined, address: string, baseDir: string, logPath: string): Promise<ProcRef> {
  mkdirSync(baseDir, { recursive: true })
  if (current && isRunning(current)) return current
  // git-daemon itself, not `git daemon`: the git wrapper forks it and killing the wrapper's pid
  // would leave the daemon running.
  const execPath = (await run(['git', '--exec-path'])).stdout.trim()
  return startListening(
    join(execPath, 'git-daemon'),
    ['--reuseaddr', `--base-path=${baseDir}`, '--export-all', `--listen=${address}`, `--port=${GIT_PORT}`, baseDir],
    logPath,
    { address, port: GIT_PORT, what: 'git daemon' },
  )
}

export interface Published {
  app: string
  url: string
  commit: string
  changed: boolean
}

/**
 * Publishes each `appsDir/<dir>/` as `baseDir/<dir>.git`, branch main: a new commit only when the
 * directory's content differs from the branch's last commit, so re-running `up` changes nothing.
 */
export async function publishApps(appsDir: string, baseDir: string, address: string): Promise<Published[]> {
  if (!existsSync(appsDir)) return []
  const out: Published[] = []
  for (const app of readdirSync(appsDir).sort()) {
    const src = join(appsDir, app)
    if (!statSync(src).isDirectory()) continue
    const bare = join(baseDir, `${app}.git`)
    if (!existsSync(join(bare, 'HEAD'))) await git(['init', '-q', '--bare', '--initial-branch=main', bare])
    // Build output and dependencies stay out, as in any checkout of the app.
    writeFileSync(join(bare, 'info', 'exclude'), 'node_modules/\n.git\n')
    const env = { GIT_DIR: bare, GIT_WORK_TREE: src, GIT_INDEX_FILE: join(baseDir, `.${app}.index`) }
    await git(['read-tree', '--empty'], env)
    await git(['add', '-A', '--', '.'], env, src)
    const tree = (await git(['write-tree'], env)).stdout.trim()
    const parent = (
      await run(['git', '-c', 'safe.directory=*', '--git-dir', bare, 'rev-parse', '-q', '--verify', 'refs/heads/main^{commit}'], { check: false })
    ).stdout.trim()
    const parentTree = parent ? (await git(['--git-dir', bare, 'rev-parse', `${parent}^{tree}`])).stdout.trim() : ''
    let commit = parent
    if (tree !== parentTree) {
      const args = ['--git-dir', bare, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `apps/${app} as published by rm-play lab up`]
      commit = (await git(args)).stdout.trim()
      await git(['--git-dir', bare, 'update-ref', 'refs/heads/main', commit])
    }
    out.push({ app, url: `git://${address}/${app}.git`, commit, changed: tree !== parentTree })
  }
  return out
}
