import {randomBytes} from 'node:crypto'

import {
  API_KEY_PREFIX_PATTERN,
  type ApiKeyRecord,
  type ApiKeyRow,
  type ApiKeyVerification,
  type CreatedApiKey,
  judgePresentedKey,
  type NewApiKey,
  newApiKeyRow,
  presentedKeyPrefix,
  rotatedKeyInput,
  rowToApiKey,
} from '../api-keys.js'
import {AUDIT_PRUNE_EVERY, AUDIT_RETENTION_DAYS, type AuditEntry, auditDetailJson, type AuditRow, type NewAuditEntry, rowToAuditEntry} from '../audit.js'
import {
  DEFAULT_LOGIN_LINK_TTL_MS,
  DEVICE_LAST_USED_RESOLUTION_MS,
  type DeviceGrant,
  type DeviceSession,
  type DeviceSessionRow,
  deviceTokenDigest,
  type IssuedLoginLink,
  isDeviceToken,
  LOGIN_LINK_PURGE_AFTER_MS,
  type LoginLinkRow,
  loginLinkRefusal,
  type LoginOutcome,
  newDeviceSessionRow,
  rowToDevice,
  type SessionCheck,
} from '../device-sessions.js'
import {
  generatePairCode,
  hashPairCode,
  type IssuedPairCode,
  judgePairingRow,
  normalizePairCode,
  PAIR_CODE_PURGE_AFTER_MS,
  type PairClaimOutcome,
  type PairingGrant,
  type PairingRow,
  storedGrantProject,
} from '../pairing.js'
import type {ApiKeyRepository, AuditRepository, DeviceSessionRepository, PairingRepository} from '../storage.js'
import {execute, inTransaction, Params, type Pool, query, queryOne, type Queryable} from './client.js'

const API_KEY_COLUMNS =
  'id, prefix, key_hash, name, role, scope_json, permissions_json, connector, harness, agent_id, allowed_projects_json, created_at, last_used_at, revoked_at, expires_at'

/**
 * API keys on PostgreSQL (the rules of api-keys.ts). `verify` reads the row on every call, so a
 * key revoked through one daemon is refused by every daemon on its next request.
 */
export class PostgresApiKeys implements ApiKeyRepository {
  constructor(private readonly pool: Pool) {}

  async create(input: NewApiKey, now = new Date()): Promise<CreatedApiKey> {
    return insertApiKey(this.pool, input, now)
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await query<ApiKeyRow>(this.pool, `SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, ord DESC`)
    return rows.map(rowToApiKey)
  }

  async find(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const row = await findApiKeyRow(this.pool, idOrPrefix)
    return row ? rowToApiKey(row) : undefined
  }

  async verify(presented: string, now = Date.now()): Promise<ApiKeyVerification> {
    const prefix = presentedKeyPrefix(presented)
    const row = prefix === undefined ? undefined : await queryOne<ApiKeyRow>(this.pool, `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE prefix = $1`, [prefix])
    const {verification, touch} = judgePresentedKey(presented, row, now)
    if (touch && verification.ok) {
      try {
        await execute(this.pool, 'UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [verification.record.lastUsedAt, verification.record.id])
      } catch {
        // Bookkeeping only: a busy or read-only database must not turn every keyed read into an error.
      }
    }
    return verification
  }

  /** Idempotent: revoking a revoked key returns it unchanged. */
  async revoke(idOrPrefix: string, now = new Date()): Promise<ApiKeyRecord | undefined> {
    const row = await findApiKeyRow(this.pool, idOrPrefix)
    if (!row) return undefined
    await execute(this.pool, 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now.toISOString(), row.id])
    return this.find(row.id)
  }

  /** A new key with the same name, role, scope and expiry; the old one is revoked in the same transaction. */
  async rotate(
    idOrPrefix: string,
    options: {expiresAt?: string | null} = {},
    now = new Date(),
  ): Promise<{created: CreatedApiKey; replaced: ApiKeyRecord} | undefined> {
    return inTransaction(this.pool, async (client) => {
      const row = await findApiKeyRow(client, idOrPrefix, true)
      if (!row) return undefined
      const created = await insertApiKey(client, rotatedKeyInput(rowToApiKey(row), options), now)
      await execute(client, 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now.toISOString(), row.id])
      const replaced = await findApiKeyRow(client, row.id)
      return {created, replaced: rowToApiKey(replaced!)}
    })
  }
}

async function findApiKeyRow(db: Queryable, idOrPrefix: string, forUpdate = false): Promise<ApiKeyRow | undefined> {
  const column = API_KEY_PREFIX_PATTERN.test(idOrPrefix) ? 'prefix' : 'id'
  return queryOne<ApiKeyRow>(db, `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE ${column} = $1${forUpdate ? ' FOR UPDATE' : ''}`, [idOrPrefix])
}

/** Insert a new key; a 48-bit prefix collision (about never) is retried with a fresh key. */
async function insertApiKey(db: Queryable, input: NewApiKey, now: Date): Promise<CreatedApiKey> {
  for (let attempt = 0; ; attempt++) {
    const {row, key} = newApiKeyRow(input, now)
    // Inside a transaction a failed INSERT would abort it: ON CONFLICT turns a collision into "no row".
    const inserted = await queryOne<ApiKeyRow>(
      db,
      `INSERT INTO api_keys (id, prefix, key_hash, name, role, scope_json, permissions_json, connector, harness, agent_id, allowed_projects_json, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT DO NOTHING RETURNING ${API_KEY_COLUMNS}`,
      [
        row.id,
        row.prefix,
        row.key_hash,
        row.name,
        row.role,
        row.scope_json,
        row.permissions_json,
        row.connector,
        row.harness,
        row.agent_id,
        row.allowed_projects_json,
        row.created_at,
        row.expires_at,
      ],
    )
    if (inserted) return {...rowToApiKey(inserted), key}
    if (attempt > 2) throw new Error('could not find a free API key prefix')
  }
}

/** The security trail on PostgreSQL (the rules of audit.ts). */
export class PostgresAudit implements AuditRepository {
  private writesSincePrune = 0

  constructor(private readonly pool: Pool) {}

  async record(entry: NewAuditEntry, now = new Date()): Promise<void> {
    await execute(this.pool, 'INSERT INTO audit (at, event, key_id, peer, detail_json) VALUES ($1, $2, $3, $4, $5)', [
      now.toISOString(),
      entry.event,
      entry.keyId ?? null,
      entry.peer ?? null,
      auditDetailJson(entry.detail),
    ])
    if (++this.writesSincePrune >= AUDIT_PRUNE_EVERY) {
      this.writesSincePrune = 0
      await execute(this.pool, 'DELETE FROM audit WHERE at < $1', [new Date(now.getTime() - AUDIT_RETENTION_DAYS * 86_400_000).toISOString()])
    }
  }

  async list(options: {limit?: number; event?: string; keyId?: string} = {}): Promise<AuditEntry[]> {
    const params = new Params()
    const where: string[] = []
    if (options.event) where.push(`event = ${params.add(options.event)}`)
    if (options.keyId) where.push(`key_id = ${params.add(options.keyId)}`)
    const limit = params.add(options.limit ?? 100)
    const rows = await query<AuditRow>(
      this.pool,
      `SELECT seq, at, event, key_id, peer, detail_json FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`,
      params.values,
    )
    return rows.map(rowToAuditEntry)
  }
}

const PAIRING_COLUMNS = 'code_hash, connector, agent_id, role, project, created_at, expires_at, claimed_at, claimed_key_id'

/** One-time pairing codes on PostgreSQL (the rules of pairing.ts); a claim locks its row, so two daemons claiming one code give one key. */
export class PostgresPairing implements PairingRepository {
  constructor(private readonly pool: Pool) {}

  async pendingCount(now = new Date()): Promise<number> {
    return (
      (await queryOne<{n: number}>(this.pool, 'SELECT count(*) AS n FROM pairing_codes WHERE claimed_at IS NULL AND expires_at > $1', [now.toISOString()]))
        ?.n ?? 0
    )
  }

  async issue(grant: PairingGrant, ttlMs: number, now = new Date()): Promise<IssuedPairCode> {
    await execute(this.pool, 'DELETE FROM pairing_codes WHERE expires_at < $1', [new Date(now.getTime() - PAIR_CODE_PURGE_AFTER_MS).toISOString()])
    const createdAt = now.toISOString()
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
    for (let attempt = 0; ; attempt++) {
      const code = generatePairCode()
      const inserted = await execute(
        this.pool,
        `INSERT INTO pairing_codes (code_hash, connector, agent_id, role, project, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
          ON CONFLICT (code_hash) DO NOTHING`,
        [hashPairCode(normalizePairCode(code)!), grant.connector, grant.agentId, grant.role, storedGrantProject(grant), createdAt, expiresAt],
      )
      if (inserted === 1) return {...grant, code, createdAt, expiresAt}
      if (attempt > 3) throw new Error('could not find a free pairing code')
    }
  }

  async claim(
    code: string,
    mint: (grant: PairingGrant) => NewApiKey,
    now = new Date(),
  ): Promise<Exclude<PairClaimOutcome, {status: 'ok'}> | {status: 'ok'; created: CreatedApiKey}> {
    const normalized = normalizePairCode(code)
    if (!normalized) return {status: 'malformed'}
    const codeHash = hashPairCode(normalized)
    return inTransaction(this.pool, async (client) => {
      // FOR UPDATE: a second claim waits here, then sees claimed_at set and answers "used".
      const row = await queryOne<PairingRow>(client, `SELECT ${PAIRING_COLUMNS} FROM pairing_codes WHERE code_hash = $1 FOR UPDATE`, [codeHash])
      const outcome = judgePairingRow(row, codeHash, now)
      if (outcome.status !== 'ok') return outcome
      const created = await insertApiKey(client, mint(outcome.grant), now)
      await execute(client, 'UPDATE pairing_codes SET claimed_at = $1, claimed_key_id = $2 WHERE code_hash = $3', [now.toISOString(), created.id, codeHash])
      return {status: 'ok' as const, created}
    })
  }
}

const DEVICE_COLUMNS = 'id, token_hash, name, agent_id, project, user_agent, created_at, last_used_at, expires_at, revoked_at'

/**
 * Dashboard login links and device sessions on PostgreSQL (the rules of device-sessions.ts).
 * lastUsedAt is throttled by the stored value, not by process memory, so several daemons write
 * it at most about once a minute between them.
 */
export class PostgresDevices implements DeviceSessionRepository {
  constructor(private readonly pool: Pool) {}

  async pendingLinkCount(now = new Date()): Promise<number> {
    return (
      (await queryOne<{n: number}>(this.pool, 'SELECT count(*) AS n FROM device_login_links WHERE used_at IS NULL AND expires_at > $1', [now.toISOString()]))
        ?.n ?? 0
    )
  }

  async issueLink(grant: DeviceGrant, ttlMs = DEFAULT_LOGIN_LINK_TTL_MS, now = new Date()): Promise<IssuedLoginLink> {
    await execute(this.pool, 'DELETE FROM device_login_links WHERE expires_at < $1', [new Date(now.getTime() - LOGIN_LINK_PURGE_AFTER_MS).toISOString()])
    const token = randomBytes(32).toString('base64url')
    const createdAt = now.toISOString()
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
    await execute(this.pool, 'INSERT INTO device_login_links (token_hash, name, agent_id, project, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      deviceTokenDigest('login', token),
      grant.name,
      grant.agentId,
      grant.project,
      createdAt,
      expiresAt,
    ])
    return {...grant, token, createdAt, expiresAt}
  }

  async login(linkToken: string, userAgent: string | null, now = new Date()): Promise<LoginOutcome> {
    if (!isDeviceToken(linkToken)) return {status: 'malformed'}
    const hash = deviceTokenDigest('login', linkToken)
    return inTransaction(this.pool, async (client): Promise<LoginOutcome> => {
      const link = await queryOne<LoginLinkRow>(
        client,
        'SELECT token_hash, name, agent_id, project, created_at, expires_at, used_at FROM device_login_links WHERE token_hash = $1 FOR UPDATE',
        [hash],
      )
      const refusal = loginLinkRefusal(link, now)
      if (refusal || !link) return {status: refusal ?? 'unknown'}
      const {row, token} = newDeviceSessionRow(link, userAgent, now)
      await execute(client, 'UPDATE device_login_links SET used_at = $1, device_id = $2 WHERE token_hash = $3', [row.created_at, row.id, hash])
      await execute(client, `INSERT INTO device_sessions (${DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        row.id,
        row.token_hash,
        row.name,
        row.agent_id,
        row.project,
        row.user_agent,
        row.created_at,
        row.last_used_at,
        row.expires_at,
        row.revoked_at,
      ])
      return {status: 'ok', token, device: rowToDevice(row, now.getTime())}
    })
  }

  /** Read on every cookie request: revocation and expiry take effect on the next one, on every daemon. */
  async verify(sessionToken: string, now = new Date()): Promise<SessionCheck> {
    if (!isDeviceToken(sessionToken)) return {ok: false, reason: 'malformed'}
    const row = await queryOne<DeviceSessionRow>(this.pool, `SELECT ${DEVICE_COLUMNS} FROM device_sessions WHERE token_hash = $1`, [
      deviceTokenDigest('session', sessionToken),
    ])
    if (!row) return {ok: false, reason: 'unknown'}
    const device = rowToDevice(row, now.getTime())
    if (device.status !== 'active') return {ok: false, reason: device.status, deviceId: device.id}
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= DEVICE_LAST_USED_RESOLUTION_MS) {
      await execute(this.pool, 'UPDATE device_sessions SET last_used_at = $1 WHERE id = $2', [now.toISOString(), row.id]).catch(() => 0)
    }
    return {ok: true, device}
  }

  async list(now = new Date()): Promise<DeviceSession[]> {
    const rows = await query<DeviceSessionRow>(this.pool, `SELECT ${DEVICE_COLUMNS} FROM device_sessions ORDER BY created_at DESC, id`)
    return rows.map((row) => rowToDevice(row, now.getTime()))
  }

  async get(id: string, now = new Date()): Promise<DeviceSession | undefined> {
    const row = await queryOne<DeviceSessionRow>(this.pool, `SELECT ${DEVICE_COLUMNS} FROM device_sessions WHERE id = $1`, [id])
    return row ? rowToDevice(row, now.getTime()) : undefined
  }

  async revoke(id: string, now = new Date()): Promise<DeviceSession | undefined> {
    await execute(this.pool, 'UPDATE device_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now.toISOString(), id])
    return this.get(id, now)
  }
}
