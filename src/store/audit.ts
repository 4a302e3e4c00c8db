import {redactCredentials} from './credential-redaction.js'
import type {SqliteDatabase} from './db.js'

export type AuditEventName =
  | 'auth_failed'
  | 'auth_rate_limited'
  | 'key_created'
  | 'key_revoked'
  | 'key_rotated'
  | 'pair_code_created'
  | 'pair_claimed'
  | 'pair_claim_failed'
  | 'pair_claim_rate_limited'
  | 'agent_message_sent'
  | 'agent_message_refused'
  | 'device_link_created'
  | 'device_login'
  | 'device_login_failed'
  | 'device_revoked'

export interface AuditEntry {
  seq: number
  at: string
  event: AuditEventName
  keyId: string | null
  peer: string | null
  detail: Record<string, unknown>
}

export interface NewAuditEntry {
  event: AuditEventName
  keyId?: string | null
  peer?: string | null
  /** Names, ids, reasons, paths. Never a key, a token, a pairing code or a request body. */
  detail?: Record<string, unknown>
}

export const AUDIT_RETENTION_DAYS = 90
/** Writes between two prunes of entries older than the retention. */
export const AUDIT_PRUNE_EVERY = 500

/** The stored detail: JSON with credentials masked (a detail is never meant to hold one, but a name or path might). */
export function auditDetailJson(detail: Record<string, unknown> | undefined): string {
  return redactCredentials(JSON.stringify(detail ?? {}))
}

export interface AuditRow {
  seq: number
  at: string
  event: string
  key_id: string | null
  peer: string | null
  detail_json: string
}

export function rowToAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    event: row.event as AuditEventName,
    keyId: row.key_id,
    peer: row.peer,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
  }
}

/** Append-only security trail of auth failures and key lifecycle events (SECURITY.md). */
export class AuditLog {
  private readonly insert
  private readonly prune
  private writesSincePrune = 0

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare('INSERT INTO audit (at, event, key_id, peer, detail_json) VALUES (?, ?, ?, ?, ?)')
    this.prune = db.prepare('DELETE FROM audit WHERE at < ?')
  }

  record(entry: NewAuditEntry, now = new Date()): void {
    this.insert.run(now.toISOString(), entry.event, entry.keyId ?? null, entry.peer ?? null, auditDetailJson(entry.detail))
    if (++this.writesSincePrune >= AUDIT_PRUNE_EVERY) {
      this.writesSincePrune = 0
      this.prune.run(new Date(now.getTime() - AUDIT_RETENTION_DAYS * 86_400_000).toISOString())
    }
  }

  list(options: {limit?: number; event?: string; keyId?: string} = {}): AuditEntry[] {
    const where: string[] = []
    const params: unknown[] = []
    if (options.event) {
      where.push('event = ?')
      params.push(options.event)
    }
    if (options.keyId) {
      where.push('key_id = ?')
      params.push(options.keyId)
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
    params.push(options.limit ?? 100)
    return (this.db.prepare(sql).all(...params) as AuditRow[]).map(rowToAuditEntry)
  }
}
