import {createHash, randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

// Wrap the real timingSafeEqual so the test can see what the key checks compare with it.
const compared = vi.hoisted(() => [] as Array<[number, number]>)
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength])
      return actual.timingSafeEqual(a, b)
    },
  }
})

const {ApiKeyStore} = await import('../../src/store/api-keys.js')
const {openDatabase} = await import('../../src/store/db.js')
const {matchesAdminToken} = await import('../../src/daemon/auth/auth-state.js')

let dir: string
let db: ReturnType<typeof openDatabase>
let store: InstanceType<typeof ApiKeyStore>
let key: string

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-timing-'))
  db = openDatabase(path.join(dir, 'memories.db'))
  store = new ApiKeyStore(db)
  // Some neighbours, so the prefix lookup is a real index probe.
  for (let i = 0; i < 50; i++) store.create({name: `other ${i}`, role: 'agent'})
  key = store.create({name: 'target', role: 'agent', agentId: 'timing'}).key
})

afterAll(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

/** The same key with its secret changed from character `from` on: how much of it matches. */
function wrongFrom(from: number): string {
  const head = key.slice(0, 20) // sig_sk_ + 12-hex prefix + _
  const secret = key.slice(20)
  const flipped = [...secret].map((char, index) => (index < from ? char : char === 'A' ? 'B' : 'A')).join('')
  return head + flipped
}

describe('API key checks do not leak how much of a key matched', () => {
  it('compares 32-byte sha256 digests with crypto.timingSafeEqual, on every path a well-formed key can take', () => {
    const cases = {
      right: key,
      wrongFirstChar: wrongFrom(0),
      wrongLastChar: wrongFrom(42),
      unknownPrefix: `sig_sk_${'f'.repeat(12)}_${randomBytes(32).toString('base64url')}`,
    }
    for (const [name, presented] of Object.entries(cases)) {
      compared.length = 0
      const verdict = store.verify(presented)
      expect(verdict.ok, name).toBe(name === 'right')
      expect(compared, `${name}: one constant-time digest comparison`).toEqual([[32, 32]])
    }
    // The admin token follows the same rule.
    const token = `sig_at_${randomBytes(32).toString('base64url')}`
    const state = {adminTokenDigest: createHash('sha256').update(token).digest()} as Parameters<typeof matchesAdminToken>[0]
    compared.length = 0
    expect(matchesAdminToken(state, token)).toBe(true)
    expect(matchesAdminToken(state, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBe(false)
    expect(compared).toEqual([
      [32, 32],
      [32, 32],
    ])
  })

  it('coarse timing: a key wrong from its first character and one wrong only in its last take the same time', () => {
    const candidates = {wrongFirstChar: wrongFrom(0), wrongLastChar: wrongFrom(42), unknownPrefix: `sig_sk_${'e'.repeat(12)}_${key.slice(20)}`}
    const names = Object.keys(candidates) as Array<keyof typeof candidates>
    const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]))
    const BATCH = 200
    // Interleaved rounds in a rotating order, medians of batches: drift and noisy neighbours cancel.
    for (let round = 0; round < 45; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]
        const presented = candidates[name]
        const started = process.hrtime.bigint()
        for (let n = 0; n < BATCH; n++) store.verify(presented)
        samples[name].push(Number(process.hrtime.bigint() - started) / BATCH)
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    const first = median(samples.wrongFirstChar)
    const last = median(samples.wrongLastChar)
    const unknown = median(samples.unknownPrefix)
    console.info(
      `key check ns/op (median): wrong from first char ${first.toFixed(0)}, wrong only in last ${last.toFixed(0)}, unknown prefix ${unknown.toFixed(0)}`,
    )
    // Coarse bounds: a per-character comparison would not be visible at this resolution anyway; the
    // digest comparison above is the real guarantee. These catch gross short-circuits (e.g. skipping work).
    expect(last / first).toBeGreaterThan(0.7)
    expect(last / first).toBeLessThan(1.43)
    // An unknown prefix skips the row fetch and is measurably faster (about half, in-process). That only
    // tells a caller whether a 48-bit prefix exists, which is not a secret (api-key list shows it);
    // the 256-bit secret behind it is still compared in constant time. Bound it loosely.
    expect(unknown / first).toBeGreaterThan(0.2)
    expect(unknown / first).toBeLessThan(5)
  })
})
