import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {effectivePermissions, localAdminPrincipal, resolveAgentId, resolveProject, type Principal} from '../../src/daemon/auth/principal.js'
import {SharedRateLimit} from '../../src/daemon/auth/rate-limit.js'
import {API_KEY_PATTERN, ApiKeyStore, hashApiKey} from '../../src/store/api-keys.js'
import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {normalizePairCode, PairingStore} from '../../src/store/pairing.js'
import {InProcessRateLimits} from '../../src/store/sqlite/rate-limits.js'

let dir: string
let db: SqliteDatabase
let keys: ApiKeyStore

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-keys-'))
  db = openDatabase(path.join(dir, 'memories.db'))
  keys = new ApiKeyStore(db)
})

afterEach(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('API key format and storage', () => {
  it('mints sig_sk_<12 hex>_<43 base64url> keys with key_ ids, stores only the sha256', () => {
    const created = keys.create({name: 'laptop', role: 'agent', agentId: 'pi-laptop', connector: 'pi'})
    expect(created.key).toMatch(/^sig_sk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(created.key.split('_').slice(3).join('_'), 'base64url')).toHaveLength(32)
    expect(created.id).toMatch(/^key_[A-Za-z0-9_-]{16}$/)
    expect(created.key.startsWith(`sig_sk_${created.prefix}_`)).toBe(true)
    expect(created.scope).toEqual({agent: 'pi-laptop'})
    const row = db.prepare('SELECT * FROM api_keys WHERE id = ?').get(created.id) as Record<string, unknown>
    expect(row.key_hash).toBe(hashApiKey(created.key))
    expect(JSON.stringify(row)).not.toContain(created.key.slice(20))
    expect(keys.list()[0]).not.toHaveProperty('key')
  })

  it('two keys never share a prefix or a secret', () => {
    const seen = new Set<string>()
    for (let index = 0; index < 200; index++) {
      const {key, prefix} = keys.create({name: `k${index}`, role: 'readonly'})
      expect(API_KEY_PATTERN.test(key)).toBe(true)
      expect(seen.has(prefix)).toBe(false)
      seen.add(prefix)
    }
  })

  it('verify names the reason: malformed, invalid, revoked, expired', () => {
    const good = keys.create({name: 'good', role: 'agent'})
    expect(keys.verify(good.key)).toMatchObject({ok: true, record: {id: good.id}})
    expect(keys.verify('sig_sk_nothex_abc')).toEqual({ok: false, reason: 'malformed'})
    expect(keys.verify(`${good.key}x`)).toEqual({ok: false, reason: 'malformed'})
    // Right prefix, wrong secret: the hash comparison must fail.
    const forged = `sig_sk_${good.prefix}_${'A'.repeat(43)}`
    expect(keys.verify(forged)).toEqual({ok: false, reason: 'invalid'})
    expect(keys.verify(`sig_sk_${'0'.repeat(12)}_${'A'.repeat(43)}`)).toEqual({ok: false, reason: 'invalid'})
    keys.revoke(good.id)
    expect(keys.verify(good.key)).toEqual({ok: false, reason: 'revoked', keyId: good.id})
    const old = keys.create({name: 'old', role: 'agent', expiresAt: new Date(Date.now() - 1000).toISOString()})
    expect(keys.verify(old.key)).toEqual({ok: false, reason: 'expired', keyId: old.id})
  })

  it('lastUsedAt is written on use, then at most once a minute', () => {
    const created = keys.create({name: 'k', role: 'agent'})
    const start = Date.parse('2030-01-01T00:00:00Z')
    keys.verify(created.key, start)
    expect(keys.find(created.id)!.lastUsedAt).toBe('2030-01-01T00:00:00.000Z')
    keys.verify(created.key, start + 30_000)
    expect(keys.find(created.id)!.lastUsedAt).toBe('2030-01-01T00:00:00.000Z')
    keys.verify(created.key, start + 61_000)
    expect(keys.find(created.id)!.lastUsedAt).toBe('2030-01-01T00:01:01.000Z')
  })

  it('revoke by id or prefix is idempotent; rotate keeps name and scope and revokes the old key', () => {
    const created = keys.create({name: 'ci', role: 'operator', scope: {project: 'acme/api'}, permissions: ['recall']})
    const rotated = keys.rotate(created.prefix)!
    expect(rotated.replaced.revokedAt).not.toBeNull()
    expect(rotated.created).toMatchObject({name: 'ci', role: 'operator', scope: {project: 'acme/api'}, permissions: ['recall']})
    expect(rotated.created.id).not.toBe(created.id)
    expect(keys.verify(created.key)).toMatchObject({ok: false, reason: 'revoked'})
    expect(keys.verify(rotated.created.key).ok).toBe(true)
    const first = keys.revoke(rotated.created.id)!.revokedAt
    expect(keys.revoke(rotated.created.prefix)!.revokedAt).toBe(first)
    expect(keys.revoke('key_doesnotexist0000')).toBeUndefined()
  })
})

describe('roles, narrowing and scope', () => {
  it('permissions only narrow a role', () => {
    expect(effectivePermissions('readonly', [])).toEqual(['recall'])
    expect(effectivePermissions('agent', ['recall', 'keys'])).toEqual(['recall'])
    expect(effectivePermissions('admin', ['keys'])).toEqual(['keys'])
  })

  it('a scoped principal defaults to its agent and refuses another; unscoped gets default', () => {
    const scoped: Principal = {kind: 'api-key', role: 'agent', permissions: [], scope: {agent: 'pi', project: 'p1'}, remote: true}
    expect(resolveAgentId(scoped)).toBe('pi')
    expect(resolveAgentId(scoped, 'pi')).toBe('pi')
    expect(() => resolveAgentId(scoped, 'other')).toThrow(/scoped to agent 'pi'/)
    expect(resolveProject(scoped)).toBe('p1')
    expect(() => resolveProject(scoped, 'p2')).toThrow(/scoped to project 'p1'/)
    expect(resolveAgentId(localAdminPrincipal())).toBe('default')
    const several: Principal = {...scoped, scope: {}, allowedProjects: ['a', 'b']}
    expect(resolveProject(several, 'b')).toBe('b')
    expect(() => resolveProject(several, 'c')).toThrow(/only access the projects/)
    expect(() => resolveProject(several)).toThrow(/name one of/)
    expect(resolveProject({...several, allowedProjects: ['a']})).toBe('a')
  })
})

describe('rate limiter and pairing codes', () => {
  it('a fixed window blocks after max hits and reopens when the window ends', async () => {
    let now = 0
    const windows = new InProcessRateLimits()
    const limiter = new SharedRateLimit(windows, 'test', {windowMs: 1000, max: 3}, () => now)
    // Another limit over the same windows counts apart.
    const other = new SharedRateLimit(windows, 'other-limit', {windowMs: 1000, max: 3}, () => now)
    for (let hit = 0; hit < 3; hit++) {
      expect(await limiter.blockedFor('peer')).toBe(0)
      await limiter.hit('peer')
    }
    expect(await limiter.blockedFor('peer')).toBe(1000)
    expect(await limiter.blockedFor('other')).toBe(0)
    expect(await other.blockedFor('peer')).toBe(0)
    expect(await limiter.firstRefusal('peer')).toBe(true)
    expect(await limiter.firstRefusal('peer')).toBe(false)
    now = 400
    expect(await limiter.blockedFor('peer')).toBe(600)
    now = 1000
    expect(await limiter.blockedFor('peer')).toBe(0)
    // A new window that fills up is reported again.
    for (let hit = 0; hit < 3; hit++) await limiter.hit('peer')
    expect(await limiter.firstRefusal('peer')).toBe(true)
  })

  it('codes look like 7KQ-94M, normalise forgivingly, are stored hashed and work once', () => {
    const pairing = new PairingStore(db)
    const issued = pairing.issue({connector: 'pi', agentId: 'pi-laptop', role: 'agent', project: null}, 600_000)
    expect(issued.code).toMatch(/^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$/)
    expect(normalizePairCode(issued.code.toLowerCase().replace('-', ' '))).toBe(issued.code.replace('-', ''))
    expect(normalizePairCode('7KQ-94')).toBeUndefined()
    expect(normalizePairCode('7KQ-94O')).toBeUndefined()
    const stored = JSON.stringify(db.prepare('SELECT * FROM pairing_codes').all())
    expect(stored).not.toContain(issued.code.replace('-', ''))
    expect(stored).not.toContain(issued.code)
    const checked = pairing.check(issued.code)
    expect(checked).toMatchObject({status: 'ok', grant: {connector: 'pi', agentId: 'pi-laptop', role: 'agent'}})
    if (checked.status !== 'ok') throw new Error('unreachable')
    expect(pairing.complete(checked.codeHash, 'key_x')).toBe(true)
    expect(pairing.complete(checked.codeHash, 'key_y')).toBe(false)
    expect(pairing.check(issued.code)).toEqual({status: 'used'})
    const later = new Date(Date.now() + 601_000)
    const second = pairing.issue({connector: null, agentId: null, role: 'readonly', project: null}, 600_000)
    expect(pairing.check(second.code, later)).toEqual({status: 'expired'})
    expect(pairing.check('ZZZ-ZZZ')).toEqual({status: 'unknown'})
  })
})
