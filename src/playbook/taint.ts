// Taint: any value computed from a secret is a secret for display. Every expression evaluation
// (and every output tag of a template) runs in a frame; each variable it reads is noted, and when
// one of them holds a known secret, the strings the evaluation produces join the run's secrets
// (the run's `secrets`, run-context.ts, which every reporter masks). Every filter is wrapped the same way,
// so the intermediates of a chain count too. Nothing here knows what a filter does: `| upper`,
// `| b64encode`, a slice, a concatenation or a filter added tomorrow are covered alike, because
// only what goes in and what comes out is looked at.
//
// A string of the result is left out when it is a plain copy of a string the evaluation read
// (`item.name` of a list that also holds passwords; a registered stdout, whose secrets are masked
// already), or when it is written literally in the expression itself (`'yes' if pw == x else 'no'`).
import { holdsSecret, MIN_SECRET_LENGTH } from '../report/mask.js'
import { SETTLE } from './lazy-view.js'
import { currentRun } from './run-context.js'

interface Frame {
  reads: unknown[]
  tainted: boolean
  kind: 'expression' | 'template'
}

// The open evaluations. Module level is safe: an evaluation is synchronous, so the stack is empty
// between any two awaits and two runs never see each other's frames.
const frames: Frame[] = []

/** Lazy views (hostvars) are not walked: what is read through them is noted as it is read. */
const isLazyView = (v: object): boolean => typeof (v as { [SETTLE]?: unknown })[SETTLE] === 'function'

function holds(v: unknown, seen: Set<object>): boolean {
  const { secrets, taintVerdicts } = currentRun()
  if (typeof v === 'string') return holdsSecret(v, secrets)
  if (typeof v === 'number') return holdsSecret(String(v), secrets)
  if (v === null || typeof v !== 'object' || seen.has(v) || isLazyView(v)) return false
  // Whether an object holds a secret, per object and size of the run's secrets (which only grow).
  const hit = taintVerdicts.get(v)
  if (hit && hit.size === secrets.size) return hit.holds
  seen.add(v)
  let found = false
  for (const x of Object.values(v)) if ((found = holds(x, seen))) break
  seen.delete(v)
  taintVerdicts.set(v, { size: secrets.size, holds: found })
  return found
}

/** Called for every variable an expression reads: a secret among them taints the evaluation. */
export function noteRead(v: unknown): void {
  const f = frames[frames.length - 1]
  if (!f || currentRun().secrets.size === 0) return
  f.reads.push(v)
  if (!f.tainted && holds(v, new Set())) f.tainted = true
}

function leaves(v: unknown, into: Set<string>, seen: Set<object>): void {
  if (typeof v === 'string' || typeof v === 'number') into.add(String(v))
  else if (v !== null && typeof v === 'object' && !seen.has(v) && !isLazyView(v)) {
    seen.add(v)
    for (const x of Object.values(v)) leaves(x, into, seen)
  }
}

/** Registers the strings of a tainted result that are not provably free of the secret. */
function registerDerived(result: unknown, reads: unknown[], source: string): void {
  // A string read as it is was not computed here: what it holds of a secret is masked already.
  const copies = new Set<string>()
  for (const r of reads) leaves(r, copies, new Set())
  const out = new Set<string>()
  leaves(result, out, new Set())
  const secrets = currentRun().secrets
  for (const s of out) {
    for (const line of s.split(/\r?\n|\r/)) {
      const l = line.trim()
      if (l.length < MIN_SECRET_LENGTH || copies.has(s) || copies.has(l) || source.includes(l) || secrets.has(l)) continue
      secrets.add(l)
    }
  }
}

/**
 * The filters, each registering what it computes from a secret as soon as it computes it: in
 * `pw | regex_replace('-', '_') | quote` the intermediate (unquoted) value is what a command's
 * `run:` line shows, and the frame sees only the quoted result.
 */
export function taintingFilters<F extends Record<string, (...args: never[]) => unknown>>(filters: F): F {
  const out: Record<string, (...args: never[]) => unknown> = {}
  for (const [name, f] of Object.entries(filters)) {
    out[name] = (...args: never[]) => {
      let r: unknown
      try {
        r = f(...args)
      } catch (e) {
        // Its message may quote its input (`from_json` does), computed from a secret before it.
        const frame = frames[frames.length - 1]
        if (frame?.tainted) registerDerived(args, frame.reads, '')
        throw e
      }
      if (currentRun().secrets.size > 0 && holds(args, new Set())) registerDerived(r, args, '')
      return r
    }
  }
  return out as F
}

/**
 * Runs `fn` (one evaluation) in a taint frame. `source` is the expression text: what it spells out
 * literally is not a secret. A template render is a frame of kind `template`: it registers nothing
 * itself (its static text and copied values are no secrets), but once its code (`<% %>`) has read
 * a secret, every output tag after it counts as reading one.
 */
export function tainting<T>(source: string, fn: () => T, kind: 'expression' | 'template' = 'expression'): T {
  const parent = frames[frames.length - 1]
  const f: Frame = { reads: [], tainted: parent?.kind === 'template' && parent.tainted, kind }
  frames.push(f)
  let result: T
  try {
    result = fn()
  } finally {
    frames.pop()
  }
  if (f.tainted && kind === 'expression') registerDerived(result, f.reads, source)
  return result
}
