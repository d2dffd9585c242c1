// What a lab host's apt is told, in its 01proxy (and the systemd layer's build, as -o options): the
// lab's apt proxy, and to retry a failed download at once.
//
// Why at once: apt 2.6 (bookworm's) delays the retry of a download that failed with a transient
// error, such as the 503 apt-cacher-ng answers when two refreshes of one InRelease collide. While
// that retry waits, the indexes of another suite of the same server, queued when its InRelease was
// verified, sit behind it and are never sent: apt-get and its http method wait on each other forever
// (Launchpad #2003851; fixed in apt 3.0.3 and 3.1.3, not in bookworm). Without the delay, the retry
// is sent with the next request and nothing waits. test/e2e/lab.test.ts makes a proxy fail that way.
const settings = (proxyUrl: string): [string, string][] => [
  ['Acquire::http::Proxy', proxyUrl],
  ['Acquire::Retries::Delay', 'false'],
]

/** The 01proxy file. */
export function aptClientConf(proxyUrl: string): string {
  return settings(proxyUrl)
    .map(([key, value]) => `${key} "${value}";\n`)
    .join('')
}

/** The same settings as apt-get options. */
export function aptClientOptions(proxyUrl: string): string[] {
  return settings(proxyUrl).flatMap(([key, value]) => ['-o', `${key}=${value}`])
}
