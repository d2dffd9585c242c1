// Start-up costs that need no host: `rm-play --version` against a bare `node -e 0` (median of 10)
// and a `--syntax-check` of the project's site.yml (median of 5).
import { join } from 'node:path'
import { measure, median } from './measure.js'

export interface Startup {
  nodeBare: number
  version: number
  syntaxCheck: number
}

async function medianWall(times: number, argv: string[], cwd: string): Promise<number> {
  const walls: number[] = []
  for (let i = 0; i < times; i++) walls.push((await measure(argv, process.env, cwd)).wall)
  return median(walls)
}

export async function measureStartup(root: string): Promise<Startup> {
  const cli = join(root, 'bin', 'rm-play.js')
  return {
    nodeBare: await medianWall(10, ['node', '-e', '0'], root),
    version: await medianWall(10, ['node', cli, '--version'], root),
    syntaxCheck: await medianWall(5, ['node', cli, join(root, 'playbooks', 'site.yml'), '--syntax-check'], root),
  }
}
