// A few hosts at a time: each start runs several short commands; 50 at once only thrash 2 cores.
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!) }
      } catch (reason) {
        out[i] = { status: 'rejected', reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export function firstError<R>(results: PromiseSettledResult<R>[]): unknown {
  const r = results.find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined
  return r?.reason
}
