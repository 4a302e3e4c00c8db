import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'

import type {Permission, Role} from './roles.js'
import type {SqliteDatabase} from './db.js'
import {redactText} from './redaction.js'

/** `sig_sk_<12 hex prefix>_<43 base64url chars = 32 random bytes>` (SECURITY.md). */
export const API_KEY_PATTERN = /^sig_sk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/
export const API_KEY_ID_PATTERN = /^key_[A-Za-z0-9_-]{16}$/
export const API_KEY_PREFIX_PATTERN = /^[0-9a-f]{12}$/

/** lastUsedAt is bookkeeping, not an audit trail: one write per key per minute is plenty. */
export const LAST_USED_RESOLUTION_MS = 60_000

export interface ApiKeyScope {
  agent?: string
  project?: string
  user?: string
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked'

/** A key as stored and shown: never the raw key, never its hash. */
export interface ApiKeyRecord {
  id: string
  prefix: string
  name: string
  role: Role
  scope: ApiKeyScope
  permissions: Permission[]
  connector: string | null
  harness: string | null
  agentId: string | null
  allowedProjects: string[]
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
  expiresAt: string | null
}

/** The only moment the raw key exists outside the caller: the create/rotate/claim response. */
export interface CreatedApiKey extends ApiKeyRecord {
  key: string
}

export interface NewApiKey {
  name: string
  role: Role
  scope?: ApiKeyScope
  permissions?: Permission[]
  connector?: string | null
  harness?: string | null
  agentId?: string | null
  allowedProjects?: string[]
  expiresAt?: string | null
}

export type ApiKeyRejection = 'malformed' | 'invalid' | 'revoked' | 'expired'

export type ApiKeyVerification = {ok: true; record: ApiKeyRecord} | {ok: false; reason: ApiKeyRejection; keyId?: string}

export interface ApiKeyRow {
  id: string
  prefix: string
  key_hash: string
  name: string
  role: string
  scope_json: string
  permissions_json: string
  connector: string | null
  harness: string | null
  agent_id: string | null
  allowed_projects_json: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
  expires_at: string | null
}

export function apiKeyStatus(record: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, now = Date.now()): ApiKeyStatus {
  if (record.revokedAt) return 'revoked'
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired'
  return 'active'
}

/** sha256 of the whole key: keys carry 256 random bits, so a slow KDF would only cost latency (SECURITY.md). */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`
}

function digestOf(storedHash: string): Buffer | undefined {
  const match = /^sha256:([0-9a-f]{64})$/.exec(storedHash)
  return match ? Buffer.from(match[1], 'hex') : undefined
}

/** Compared even when the prefix is unknown, so a miss takes as long as a wrong secret. */
const DECOY_DIGEST = createHash('sha256').update('signet-decoy-key').digest()

export function generateApiKey(): {key: string; prefix: string} {
  const prefix = randomBytes(6).toString('hex')
  return {prefix, key: `sig_sk_${prefix}_${randomBytes(32).toString('base64url')}`}
}

/**
 * The row for a new key and the raw key (shown once). Text fields (name, project scope) are
 * redacted here, the table's one way in: a key name is no place for a secret.
 */
export function newApiKeyRow(input: NewApiKey, now: Date): {row: Omit<ApiKeyRow, 'last_used_at' | 'revoked_at'>; key: string} {
  const requested = cleanScope({...input.scope, agent: input.scope?.agent ?? input.agentId ?? undefined})
  const scope = requested.project ? {...requested, project: redactText(requested.project)} : requested
  const {key, prefix} = generateApiKey()
  const row = {
    id: `key_${randomBytes(12).toString('base64url')}`,
    prefix,
    key_hash: hashApiKey(key),
    name: redactText(input.name),
    role: input.role,
    scope_json: JSON.stringify(scope),
    permissions_json: JSON.stringify(input.permissions ?? []),
    connector: input.connector ?? null,
    harness: input.harness ?? null,
    agent_id: input.agentId ?? scope.agent ?? null,
    allowed_projects_json: JSON.stringify((input.allowedProjects ?? []).map(redactText)),
    created_at: now.toISOString(),
    expires_at: input.expiresAt ?? null,
  }
  return {row, key}
}

/** The 12-hex prefix a well-formed key names its row by, or undefined for anything malformed. */
export function presentedKeyPrefix(presented: string): string | undefined {
  return API_KEY_PATTERN.exec(presented)?.[1]
}

/**
 * Judge a presented key against the row its prefix names (undefined when none): constant-time
 * hash compare → revoked → expired. `touch` says lastUsedAt is due (at most once a minute per key);
 * the returned record already carries the new value.
 */
export function judgePresentedKey(presented: string, row: ApiKeyRow | undefined, now: number): {verification: ApiKeyVerification; touch: boolean} {
  if (!API_KEY_PATTERN.test(presented)) return {verification: {ok: false, reason: 'malformed'}, touch: false}
  const presentedDigest = createHash('sha256').update(presented, 'utf8').digest()
  const storedDigest = row ? digestOf(row.key_hash) : undefined
  const equal = timingSafeEqual(presentedDigest, storedDigest ?? DECOY_DIGEST)
  if (!row || !storedDigest || !equal) return {verification: {ok: false, reason: 'invalid'}, touch: false}
  const record = rowToApiKey(row)
  const status = apiKeyStatus(record, now)
  if (status !== 'active') return {verification: {ok: false, reason: status, keyId: record.id}, touch: false}
  const touch = !record.lastUsedAt || now - Date.parse(record.lastUsedAt) >= LAST_USED_RESOLUTION_MS
  if (touch) record.lastUsedAt = new Date(now).toISOString()
  return {verification: {ok: true, record}, touch}
}

/** The fields a rotation copies from the key it replaces. */
export function rotatedKeyInput(old: ApiKeyRecord, options: {expiresAt?: string | null}): NewApiKey {
  return {
    name: old.name,
    role: old.role,
    scope: old.scope,
    permissions: old.permissions,
    connector: old.connector,
    harness: old.harness,
    agentId: old.agentId,
    allowedProjects: old.allowedProjects,
    expiresAt: options.expiresAt === undefined ? old.expiresAt : options.expiresAt,
  }
}

/** API key rows: create, look up, verify, revoke, rotate. The raw key is never written. */
export class ApiKeyStore {
  private readonly byPrefix
  private readonly byId
  private readonly insert
  private readonly all
  private readonly touch
  private readonly markRevoked

  constructor(private readonly db: SqliteDatabase) {
    this.byPrefix = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE prefix = ?')
    this.byId = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?')
    this.insert = db.prepare(`
      INSERT INTO api_keys (id, prefix, key_hash, name, role, scope_json, permissions_json, connector, harness, agent_id,
        allowed_projects_json, created_at, expires_at)
      VALUES (@id, @prefix, @key_hash, @name, @role, @scope_json, @permissions_json, @connector, @harness, @agent_id,
        @allowed_projects_json, @created_at, @expires_at)`)
    this.all = db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, rowid DESC')
    this.touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
    this.markRevoked = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  }

  /** Text fields (name, project scope) are redacted here (newApiKeyRow), the table's one way in. */
  create(input: NewApiKey, now = new Date()): CreatedApiKey {
    for (let attempt = 0; ; attempt++) {
      const {row, key} = newApiKeyRow(input, now)
      try {
        this.insert.run(row)
        return {...this.mustGet(row.id), key}
      } catch (error) {
        // 48-bit prefixes collide about never; retry once rather than fail a create.
        if ((error as {code?: string}).code !== 'SQLITE_CONSTRAINT_UNIQUE' || attempt > 2) throw error
      }
    }
  }

  list(): ApiKeyRecord[] {
    return this.all.all().map(rowToApiKey)
  }

  /** By id (`key_…`) or by the 12-hex prefix. */
  find(idOrPrefix: string): ApiKeyRecord | undefined {
    const row = API_KEY_PREFIX_PATTERN.test(idOrPrefix) ? this.byPrefix.get(idOrPrefix) : this.byId.get(idOrPrefix)
    return row ? rowToApiKey(row) : undefined
  }

  /**
   * Check a presented key: shape → row by prefix → constant-time hash compare → revoked → expired.
   * Success also bumps lastUsedAt (at most once a minute per key).
   */
  verify(presented: string, now = Date.now()): ApiKeyVerification {
    const prefix = presentedKeyPrefix(presented)
    const {verification, touch} = judgePresentedKey(presented, prefix === undefined ? undefined : this.byPrefix.get(prefix), now)
    if (touch && verification.ok) {
      try {
        this.touch.run(verification.record.lastUsedAt, verification.record.id)
      } catch {
        // Bookkeeping only: a full disk or a busy database must not turn every keyed read into an error.
      }
    }
    return verification
  }

  /** Idempotent: revoking a revoked key returns it unchanged. */
  revoke(idOrPrefix: string, now = new Date()): ApiKeyRecord | undefined {
    const record = this.find(idOrPrefix)
    if (!record) return undefined
    this.markRevoked.run(now.toISOString(), record.id)
    return this.mustGet(record.id)
  }

  /** A new key with the same name, role, scope and expiry; the old one is revoked in the same transaction. */
  rotate(idOrPrefix: string, options: {expiresAt?: string | null} = {}, now = new Date()): {created: CreatedApiKey; replaced: ApiKeyRecord} | undefined {
    return this.db.transaction(() => {
      const old = this.find(idOrPrefix)
      if (!old) return undefined
      const created = this.create(rotatedKeyInput(old, options), now)
      this.markRevoked.run(now.toISOString(), old.id)
      return {created, replaced: this.mustGet(old.id)}
    })()
  }

  private mustGet(id: string): ApiKeyRecord {
    const row = this.byId.get(id)
    if (!row) throw new Error(`api key ${id} vanished`)
    return rowToApiKey(row)
  }
}

export function cleanScope(scope: ApiKeyScope): ApiKeyScope {
  const clean: ApiKeyScope = {}
  if (scope.agent) clean.agent = scope.agent
  if (scope.project) clean.project = scope.project
  if (scope.user) clean.user = scope.user
  return clean
}

export function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    role: row.role as Role,
    scope: cleanScope(JSON.parse(row.scope_json) as ApiKeyScope),
    permissions: JSON.parse(row.permissions_json) as Permission[],
    connector: row.connector,
    harness: row.harness,
    agentId: row.agent_id,
    allowedProjects: JSON.parse(row.allowed_projects_json) as string[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  }
}
