// Ansible's own YAML tags: `!unsafe` (a value that is never templated) and `!vault` (a value
// encrypted with `rm-play vault encrypt-string` or `ansible-vault encrypt_string`, decrypted here
// and, as in Ansible, never templated either). Any other tag is an error, reported by yaml.ts.
//
// A literal string travels through the rest of rm-play as an ordinary string in which `{{` and
// `{%` are written as expressions that print them (`{{ '{{' }}`): every place that renders a value
// then yields the original bytes, and every place that checks a string's type still sees a string.
import type { CollectionTag, Node, ScalarTag } from 'yaml'
import { yamlLib } from './yaml-lib.js'
import { decryptVaultText, secretFromVault } from './vault.js'

/** How literal values come out: `template` (encoded, for values that are rendered) or `plain` (data never rendered). */
export type LiteralMode = 'template' | 'plain'

/** A string whose `{{` and `{%` survive rendering byte for byte. */
export function literalForTemplate(text: string): string {
  return text.replace(/\{\{/g, "{{ '{{' }}").replace(/\{%/g, "{{ '{' }}%")
}

/** The text a `literalForTemplate` string renders to (for masking it as a secret before rendering). */
export function renderedLiteral(s: string): string {
  return s.replaceAll("{{ '{{' }}", '{{').replaceAll("{{ '{' }}%", '{%')
}

function literal(text: string, mode: LiteralMode): string {
  return mode === 'template' ? literalForTemplate(text) : text
}

// `!unsafe` on a mapping or a list makes every string inside it literal.
function literalCollection(node: Node, mode: LiteralMode): void {
  const { isMap, isPair, isScalar, isSeq } = yamlLib()
  const visit = (n: unknown): void => {
    if (isScalar(n)) {
      if (typeof n.value === 'string') n.value = literal(n.value, mode)
    } else if (isPair(n)) visit(n.value)
    else if (isMap(n) || isSeq(n)) n.items.forEach(visit)
  }
  visit(node)
}

export function ansibleTags(mode: LiteralMode): (ScalarTag | CollectionTag)[] {
  const unsafe = (collection?: 'map' | 'seq'): ScalarTag | CollectionTag =>
    collection ? { tag: '!unsafe', collection, resolve: (n) => (literalCollection(n, mode), n) } : { tag: '!unsafe', resolve: (s) => literal(s, mode) }
  const vault: ScalarTag = {
    tag: '!vault',
    resolve(s, onError) {
      try {
        const plain = decryptVaultText(s)
        secretFromVault(plain)
        return literal(plain, mode)
      } catch (e) {
        onError((e as Error).message)
        return ''
      }
    },
  }
  return [unsafe(), unsafe('map'), unsafe('seq'), vault]
}
