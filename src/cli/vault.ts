// `rm-play vault`: create, edit, encrypt, decrypt, view, rekey files and encrypt single strings,
// in Ansible Vault 1.1 format (ansible-vault opens what this writes, and the other way round).
//
// The plaintext never touches the disk except under `edit`/`create`, where the editor needs it: a
// 0600 file in a private 0700 directory, overwritten and removed afterwards. Every file is
// replaced through a temp with a random name created exclusively (a planted FILE.tmp symlink is
// never followed). `edit` re-encrypts only when the text changed, as ansible-vault does.
import { spawnSync } from 'node:child_process'
import { readFileSync, realpathSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { decryptVault, encryptVault, isVaultText, readPasswordFile } from '../playbook/vault.js'
import { createFileExclusively, replaceFileAtomically, withPrivateDir } from './private-files.js'
import { readSecret } from './prompt.js'

const ACTIONS = ['create', 'edit', 'encrypt', 'decrypt', 'view', 'rekey', 'encrypt-string', 'encrypt_string']

const USAGE = `usage: rm-play vault create|edit|encrypt|decrypt|view|rekey FILE... | encrypt-string [--name NAME] [TEXT, or stdin]
  --vault-password-file FILE      the password (or ANSIBLE_VAULT_PASSWORD_FILE)
  --new-vault-password-file FILE  rekey: the new password
  $EDITOR (default vi) edits under create and edit
`

interface Io {
  out(s: string): void
  err(s: string): void
}

async function readStdinText(): Promise<string> {
  if (process.stdin.isTTY) return readSecret('String to encrypt (hidden): ')
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Runs $EDITOR (its words split on spaces, no shell) on a file and waits for it. */
function runEditor(file: string): void {
  const words = (process.env.EDITOR || process.env.VISUAL || 'vi').trim().split(/\s+/)
  const r = spawnSync(words[0]!, [...words.slice(1), file], { stdio: 'inherit' })
  if (r.error) throw new Error(`cannot run the editor ${words[0]}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`the editor ${words[0]} exited with ${r.status ?? r.signal}; nothing was changed`)
}

/** Lets the user edit `text` in a private temp; returns what they saved. */
function editText(text: string): string {
  return withPrivateDir((dir) => {
    const tmp = join(dir, 'plaintext')
    createFileExclusively(tmp, text)
    runEditor(tmp)
    return readFileSync(tmp, 'utf8')
  })
}

export async function vaultCommand(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv
  let pwFile = process.env.ANSIBLE_VAULT_PASSWORD_FILE ?? process.env.RM_PLAY_VAULT_PASSWORD_FILE
  let newPwFile: string | undefined
  let name = 'secret'
  const targets: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--vault-password-file' || a === '--vault-pass-file') pwFile = rest[++i]
    else if (a.startsWith('--vault-password-file=') || a.startsWith('--vault-pass-file=')) pwFile = a.slice(a.indexOf('=') + 1)
    else if (a === '--new-vault-password-file') newPwFile = rest[++i]
    else if (a.startsWith('--new-vault-password-file=')) newPwFile = a.slice(a.indexOf('=') + 1)
    else if (a === '--name') name = rest[++i] ?? name
    else targets.push(a)
  }
  if (!action || !ACTIONS.includes(action)) {
    io.err(USAGE)
    return 1
  }
  if (action !== 'encrypt-string' && action !== 'encrypt_string' && targets.length === 0) {
    io.err(USAGE)
    return 1
  }
  try {
    const pw = pwFile ? readPasswordFile(pwFile) : await readSecret('Vault password: ')
    if (action === 'encrypt-string' || action === 'encrypt_string') {
      // No TEXT: read it from stdin, so that the secret is not in argv (ps, shell history).
      const text = targets.length ? targets.join(' ') : await readStdinText()
      io.out(
        `${name}: !vault |\n${encryptVault(text, pw)
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n`,
      )
      return 0
    }
    const newPw = action === 'rekey' ? (newPwFile ? readPasswordFile(newPwFile) : await readSecret('New vault password: ')) : undefined
    for (const f of targets) {
      if (action === 'create') {
        // The file is claimed first (exclusively): nobody can slip a link in while the editor runs.
        createFileExclusively(f, '')
        try {
          replaceFileAtomically(f, encryptVault(editText(''), pw))
        } catch (e) {
          unlinkSync(f)
          throw e
        }
        io.err(`Created ${f}\n`)
        continue
      }
      // The file named is the file meant: a symlinked vault file is changed where it really is (as
      // ansible-vault does), never replaced by a copy that leaves the old text behind.
      const real = realpathSync(f)
      const text = readFileSync(real, 'utf8')
      if (action !== 'encrypt' && !isVaultText(text)) throw new Error(`${f} is not encrypted with the vault`)
      if (action === 'view') io.out(decryptVault(text, pw))
      else if (action === 'edit') {
        const before = decryptVault(text, pw)
        const after = editText(before)
        if (after === before) io.err(`${f} unchanged: not re-encrypted\n`)
        else {
          replaceFileAtomically(real, encryptVault(after, pw))
          io.err(`Saved ${f}\n`)
        }
      } else if (action === 'rekey') {
        replaceFileAtomically(real, encryptVault(decryptVault(text, pw), newPw!))
        io.err(`Rekeyed ${f}\n`)
      } else {
        if (action === 'encrypt' && isVaultText(text)) throw new Error(`${f} is already encrypted`)
        replaceFileAtomically(real, action === 'encrypt' ? encryptVault(text, pw) : decryptVault(text, pw))
        io.err(`${action === 'encrypt' ? 'Encrypted' : 'Decrypted'} ${f}\n`)
      }
    }
    return 0
  } catch (e) {
    io.err(`rm-play vault: ${(e as Error).message}\n`)
    return 1
  }
}
