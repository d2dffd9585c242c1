// The untimed preparation of fresh hosts (prepare.yml: apt lists and python3-apt), bounded in time.
// A host's `apt-get update` that never ended (bookworm's apt after a delayed retry, now avoided by the
// hosts' 01proxy: "Apt proxy" in docs/lab.md) would hang the whole bench with no word; for anything
// else of that kind, past the limit the run is killed and the bench fails saying where to look.
import { measure } from './measure.js'

/** Above prepare.yml's own bound (3 tries of 10 min each); 200 sysv hosts on two cores take ~6 min. */
export const PREPARE_LIMIT_S = 3600

export async function prepareHosts(argv: string[], hosts: number, limitS = PREPARE_LIMIT_S): Promise<void> {
  try {
    await measure(['timeout', '--kill-after=10', String(limitS), ...argv])
  } catch (e) {
    if (!/ exited (124|137):/.test((e as Error).message)) throw e
    throw new Error(
      `prepare.yml did not finish on ${hosts} hosts within ${limitS} s and was stopped: a host's apt-get update may be stuck ` +
        `(see "Apt proxy" in docs/lab.md; /var/lib/rm-play/apt-proxy/log/apt-cacher.err)`,
    )
  }
}
