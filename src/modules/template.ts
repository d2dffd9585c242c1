/**
 * template — render a template from the role's templates/ (then the playbook's) with the task's
 * variables, and put the result on the host like copy does. A `.j2` file is Jinja2 with Ansible's
 * meaning (trim_blocks on, a `#jinja2:` first line honoured, `ansible_managed` and `template_*`
 * variables; see docs/jinja.md), parsed when the playbook loads. Any other file is EJS, kept for
 * existing templates: `<%= expr %>` prints a JavaScript value, `<% code %>` runs JavaScript on the
 * controller, `-%>` trims the following newline.
 * The file is written as copy writes it (a private 0700 temp directory beside `dest`, size and
 * SHA-256 checked, owner and mode set before the rename): `validate` checks it there (`%s` is the
 * temp file; `nginx -t -c %s`; split into words, no shell), and only then is it renamed over
 * `dest`: a file that fails validation, or a transfer cut short, is never put in place. Replacing
 * a file keeps its owner, group and mode unless given. An unchanged result is not rewritten; with
 * `--diff` the change is shown as a unified diff, vault values in it masked (hidden entirely for
 * `no_log` tasks).
 * `newline_sequence` ('\n', '\r\n' or '\r') sets the line endings; `trim_blocks` (default true)
 * and `lstrip_blocks` (default false) set Jinja's whitespace handling, as in Ansible (a `#jinja2:`
 * first line overrides them); `mode: preserve` takes the template file's mode; `force: false`
 * leaves an existing dest alone; `follow: true` writes through a symlink at dest instead of
 * replacing it; `backup: true` keeps the old file.
 * Not supported (a load-time error, not ignored): other delimiters (`block_start_string`,
 * `variable_start_string`, ... other than the defaults; the Jinja engine, MiniJinja, fixes its
 * syntax when it is built), `output_encoding` other than utf-8; `unsafe_writes`.
 *
 *   - template: { src: nginx.conf.j2, dest: /etc/nginx/nginx.conf, validate: nginx -t -c %s }
 *     notify: reload nginx
 *   - template: { src: env.production.j2, dest: /opt/runmaster/.env.production, owner: runmaster, mode: '0600' }
 *     no_log: true
 */
import { statSync } from 'node:fs'
import { pathProbe } from '../probes/files.js'
import { destProbeOptions, planWrite, writeOptions, writeProblems, writeResult, WRITE_RETURNS, type WriteSpec } from './copy.js'
import { octal } from './file-attrs.js'
import type { HostModule, PlanContext } from './types.js'
import type { ArgsOf, Schema } from './schema.js'

type TemplateArgs = ArgsOf<typeof schema>

interface TemplatePrepared extends TemplateArgs {
  data: Buffer
  srcMode: string
}

const NEWLINES = ['\n', '\r', '\r\n'] as const

/** Line endings as asked (templates are written with \n; Windows-edited ones may carry \r\n). */
export function withNewlines(text: string, seq: string): string {
  seq = seq.replace(/\\[nr]/g, (e) => (e === '\\n' ? '\n' : '\r'))
  return seq === '\n' ? text.replace(/\r\n?/g, '\n') : text.replace(/\r\n?|\n/g, seq)
}

function spec(a: TemplatePrepared): WriteSpec {
  return {
    dest: a.dest,
    content: a.data,
    owner: a.owner,
    group: a.group,
    mode: a.mode === 'preserve' ? a.srcMode : a.mode,
    backup: a.backup,
    validate: a.validate,
    follow: a.follow,
    force: a.force,
  }
}

const probes = (a: TemplatePrepared, ctx: PlanContext) => ({ dest: pathProbe(a.dest, destProbeOptions(ctx)) })

/** Jinja's delimiters and their defaults: MiniJinja's syntax is fixed, so only the defaults are accepted. */
const DELIMITERS = {
  block_start_string: '{%',
  block_end_string: '%}',
  variable_start_string: '{{',
  variable_end_string: '}}',
  comment_start_string: '{#',
  comment_end_string: '#}',
} as const

const delimiterOptions = Object.fromEntries(
  Object.entries(DELIMITERS).map(([k, d]) => [k, { type: 'str', doc: `Only the default, \`${d}\` (other delimiters are not supported).` }]),
) as Record<keyof typeof DELIMITERS, { type: 'str'; doc: string }>

/** Load-time checks of the Jinja options rm-play's engine cannot honour. */
function jinjaProblems(a: Partial<Record<keyof typeof DELIMITERS | 'output_encoding', unknown>>): string[] {
  const problems: string[] = []
  for (const [k, d] of Object.entries(DELIMITERS) as [keyof typeof DELIMITERS, string][])
    if (a[k] !== undefined && a[k] !== d)
      problems.push(`${k} ${JSON.stringify(a[k])} is not supported: the Jinja engine (MiniJinja) has fixed delimiters (only ${JSON.stringify(d)})`)
  if (typeof a.output_encoding === 'string' && !/^utf-?8$/i.test(a.output_encoding))
    problems.push(`output_encoding ${JSON.stringify(a.output_encoding)} is not supported (only utf-8)`)
  return problems
}

const schema = {
  options: {
    src: { type: 'path', required: true, doc: "The template, looked up in the role's templates/ then the playbook's." },
    dest: { type: 'path', required: true, doc: 'The file to write on the host.' },
    force: { type: 'bool', default: true, doc: 'Replace a dest whose content differs; false: only create a missing dest.' },
    follow: { type: 'bool', default: false, doc: 'If dest is a symlink, write its target (true) or replace the link with a file (false).' },
    newline_sequence: {
      type: 'str',
      default: '\n',
      // Ansible takes the escaped spelling too (YAML's '\r\n' in single quotes is backslashes)
      choices: [...NEWLINES, ...NEWLINES.map((n) => JSON.stringify(n).slice(1, -1))],
      doc: 'Line endings of the written file.',
    },
    trim_blocks: { type: 'bool', default: true, doc: 'Remove the first newline after a block tag.' },
    lstrip_blocks: { type: 'bool', default: false, doc: 'Strip spaces and tabs from the start of a line up to a block tag.' },
    output_encoding: { type: 'str', default: 'utf-8', doc: 'Encoding of the written file: only utf-8.' },
    ...delimiterOptions,
    ...writeOptions,
  },
} as const satisfies Schema

export const template: HostModule<TemplateArgs, TemplatePrepared, ReturnType<typeof probes>> = {
  kind: 'host',
  name: 'template',
  doc: "Render a template (.j2: Jinja2 with Ansible's meaning; .ejs: EJS) to a file on the host.",
  args: schema,
  returns: { ...WRITE_RETURNS, state: 'file' },
  validate: (a) => [...writeProblems(a), ...jinjaProblems(a)],
  localFiles: (a) => (a.src !== undefined ? [{ kind: 'templates', name: a.src, arg: 'src' }] : []),
  prepare(a, ctx) {
    const path = ctx.findFile('templates', a.src)
    const text = withNewlines(
      ctx.renderTemplate(path, { src: a.src, dest: a.dest, trimBlocks: a.trim_blocks, lstripBlocks: a.lstrip_blocks }),
      a.newline_sequence,
    )
    return { ...a, data: Buffer.from(text, 'utf8'), srcMode: octal(statSync(path).mode & 0o7777) }
  },
  probes,
  plan: (a, { dest }, ctx) => planWrite(spec(a), dest, ctx),
  result(a, { dest }, outputs) {
    return { ...writeResult(spec(a), dest, outputs), src: a.src }
  },
}
