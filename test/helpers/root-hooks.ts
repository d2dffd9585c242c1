// Mocha root hooks (.mocharc.json requires this file): after the whole run, close the SSH sessions
// the assertion helper (host-shell.ts) keeps per host. A test file that reads host state without
// closing them would otherwise keep mocha from exiting when it runs last.
import { closeHostConnections } from './host-shell.js'

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeHostConnections()
  },
}
