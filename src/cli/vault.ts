// `rm-play vault`: encrypt, decrypt, view files and encrypt single strings, in Ansible Vault 1.1
// format (ansible-vault opens what this writes, and the other way round).
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { decryptVault, encryptVault, isVaultText, readPasswordFile } from '../playbook/vault.js'
import { readSecret } from './prompt.js'

export async function vaultCommand(argv: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const [action, ...rest] = argv
  let pwFile = process.env.ANSIBLE_VAULT_PASSWORD_FILE ?? process.env.RM_PLAY_VAULT_PASSWORD_FILE
  let name = 'secret'
  const targets: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--vault-password-file' || a === '--vault-pass-file') pwFile = rest[++i]
    else if (a.startsWith('--vault-password-file=')) pwFile = a.split('=')[1]
    else if (a === '--name') name = rest[++i] ?? name
    else targets.push(a)
  }
  if (!action || !['encrypt', 'decrypt', 'view', 'encrypt-string', 'encrypt_string'].includes(action)) {
    io.err('usage: rm-play vault encrypt|decrypt|view FILE... | encrypt-string [--name NAME] TEXT  [--vault-password-file FILE]\n')
    return 1
  }
  const pw = pwFile ? readPasswordFile(pwFile) : await readSecret('Vault password: ')
  try {
    if (action === 'encrypt-string' || action === 'encrypt_string') {
      const text = targets.join(' ')
      io.out(`${name}: !vault |\n${encryptVault(text, pw).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`)
      return 0
    }
    for (const f of targets) {
      const text = readFileSync(f, 'utf8')
      if (action === 'view') io.out(decryptVault(text, pw))
      else {
        if (action === 'encrypt' && isVaultText(text)) throw new Error(`${f} is already encrypted`)
        const next = action === 'encrypt' ? encryptVault(text, pw) : decryptVault(text, pw)
        writeFileSync(`${f}.rmp-tmp`, next, { mode: 0o600 })
        renameSync(`${f}.rmp-tmp`, f)
        io.err(`${action === 'encrypt' ? 'Encrypted' : 'Decrypted'} ${f}\n`)
      }
    }
    return 0
  } catch (e) {
    io.err(`rm-play vault: ${(e as Error).message}\n`)
    return 1
  }
}
