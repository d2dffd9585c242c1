// The flags an Ansible user types that become run options or passwords: -c, -k, --ssh-*-args,
// --become-method, --vault-id, -J, and the accepted-but-idle ones (-M, --flush-cache). Passwords
// are read from the terminal (never taken from the command line) and masked like vault values.
import type { RunOptions } from '../engine/options.js'
import { readPasswordFile, setVaultPassword, setVaultPasswords } from '../playbook/vault.js'
import { currentRun } from '../playbook/run-context.js'
import type { CliArgs } from './args.js'
import { readSecret } from './prompt.js'
import { checkSshArgs } from './ssh-args.js'

type Ask = (prompt: string) => Promise<string>

/** A password read or given: masked wherever it would appear. */
export function secret(pw: string): string {
  if (pw.length >= 3) currentRun().secrets.add(pw)
  return pw
}

/** Notes for flags rm-play accepts but has no use for. */
export function idleFlagNotes(args: CliArgs): string[] {
  const out: string[] = []
  if (args.modulePath.length)
    out.push(`-M/--module-path ${args.modulePath.join(':')} is ignored: rm-play runs its own modules (rm-play doc lists them), not Python ones`)
  if (args.flushCache && args.verbosity > 0) out.push('--flush-cache: rm-play keeps no fact cache between runs; nothing to flush')
  return out
}

/** `label@source` (or `source`): source is a file, an executable, or `prompt`. */
export async function readVaultId(id: string, ask: Ask = readSecret): Promise<{ label: string; password: string }> {
  const at = id.indexOf('@')
  const label = at > 0 ? id.slice(0, at) : 'default'
  const source = at > 0 ? id.slice(at + 1) : id
  const password = source === 'prompt' ? await ask(label === 'default' ? 'Vault password: ' : `Vault password (${label}): `) : readPasswordFile(source)
  return { label, password: secret(password) }
}

/**
 * Sets the vault passwords from --vault-password-file (or the config's), --vault-id and -J, in
 * that order; whether any was given.
 */
export async function setUpVault(args: CliArgs, passwordFile: string | undefined, ask: Ask = readSecret): Promise<boolean> {
  const ids: { label: string; password: string }[] = []
  if (passwordFile) ids.push({ label: 'default', password: secret(readPasswordFile(passwordFile)) })
  for (const id of args.vaultIds) ids.push(await readVaultId(id, ask))
  if (args.askVaultPass) ids.push({ label: 'default', password: secret(await ask('Vault password: ')) })
  if (ids.length > 1) setVaultPasswords(ids)
  else setVaultPassword(ids[0]?.password) // none given: none (not the last run's)
  return ids.length > 0
}

/** The run options of the connection flags; -k asks for the SSH password. */
export async function connectionOptions(
  args: CliArgs,
  ask: Ask = readSecret,
): Promise<Pick<RunOptions, 'connection' | 'sshCommonArgs' | 'sshExtraArgs' | 'password' | 'becomeMethod'>> {
  return {
    connection: args.connection,
    sshCommonArgs: args.sshCommonArgs === undefined ? undefined : checkSshArgs('--ssh-common-args', args.sshCommonArgs),
    sshExtraArgs: args.sshExtraArgs === undefined ? undefined : checkSshArgs('--ssh-extra-args', args.sshExtraArgs),
    password: args.askPass ? secret(await ask('SSH password: ')) : undefined,
    becomeMethod: args.becomeMethod,
  }
}
