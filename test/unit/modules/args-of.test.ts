// ArgsOf: a module's argument type is derived from its schema. The checks are compile-time (tsc
// fails the build when one does not hold); the `it` only records that they exist.
import { expect } from 'chai'
import { group, type GroupArgs } from '../../../src/modules/group.js'
import type { ArgsOf } from '../../../src/modules/schema.js'

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

const schema = {
  options: {
    name: { type: 'str', required: true, doc: '' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], doc: '' },
    count: { type: 'int', doc: '' },
    codes: { type: 'list', elements: 'int', default: [200], doc: '' },
    tags: { type: 'list', doc: '' },
    force: { type: 'bool', default: false, doc: '' },
    extra: { type: 'dict', doc: '' },
    body: { type: 'raw', doc: '' },
  },
} as const

const derived: Same<
  ArgsOf<typeof schema>,
  {
    name: string
    state: 'present' | 'absent'
    codes: number[]
    force: boolean
    count?: number
    tags?: unknown[]
    extra?: Record<string, unknown>
    body?: unknown
  }
> = true
const groupArgs: Same<GroupArgs, { name: string; state: 'present' | 'absent'; system: boolean; non_unique: boolean; force: boolean; gid?: number }> = true
// The state plan() receives is named after the probes and typed by their parsers.
const groupState: Same<Parameters<typeof group.plan>[1], { readonly group: { name: string; gid: number; members: string[] } | null }> = true

describe('modules/schema: ArgsOf', () => {
  it('required and defaulted options are present, choices are unions, the rest optional (checked by tsc)', () => {
    expect([derived, groupArgs, groupState]).to.deep.equal([true, true, true])
  })
})
