import {createHash, randomInt} from 'node:crypto'

import type {Role} from './roles.js'
import type {SqliteDatabase} from './db.js'
import {redactText} from './redaction.js'

/** No 0/O, 1/I/L or U: a code read aloud or off a phone screen survives transcription. */
export const PAIR_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
const PAIR_CODE_LENGTH = 6
/** Unclaimed, unexpired codes at once; more is a script gone wrong, not a person pairing laptops. */
export const MAX_PENDING_PAIR_CODES = 20

export interface PairingGrant {
  connector: string | null
  agentId: string | null
  role: Role
  project: string | null
}

export interface IssuedPairCode extends PairingGrant {
  /** Shown once, as `7KQ-94M`; only its hash is stored. */
  code: string
  createdAt: string
  expiresAt: string
}

export type PairClaimOutcome = {status: 'ok'; codeHash: string; grant: PairingGrant} | {status: 'malformed' | 'unknown' | 'expired' | 'used'}

export interface PairingRow {
  code_hash: string
  connector: string | null
  agent_id: string | null
  role: string
  project: string | null
  created_at: string
  expires_at: string
  claimed_at: string | null
  claimed_key_id: string | null
}

/** `7kq 94m`, `7KQ-94M` and `7KQ94M` are the same code; anything else is malformed. */
export function normalizePairCode(input: string): string | undefined {
  const compact = input.toUpperCase().replace(/[\s-]/g, '')
  if (compact.length !== PAIR_CODE_LENGTH) return undefined
  for (const char of compact) if (!PAIR_CODE_ALPHABET.includes(char)) return undefined
  return compact
}

export function hashPairCode(normalized: string): string {
  return `sha256:${createHash('sha256').update(`signet-pair:${normalized}`).digest('hex')}`
}

export function generatePairCode(): string {
  let code = ''
  for (let index = 0; index < PAIR_CODE_LENGTH; index++) code += PAIR_CODE_ALPHABET[randomInt(PAIR_CODE_ALPHABET.length)]
  return `${code.slice(0, 3)}-${code.slice(3)}`
}

/** What a stored code row says about a claim now: used, expired, or its grant. */
export function judgePairingRow(row: PairingRow | undefined, codeHash: string, now: Date): PairClaimOutcome {
  if (!row) return {status: 'unknown'}
  if (row.claimed_at) return {status: 'used'}
  if (Date.parse(row.expires_at) <= now.getTime()) return {status: 'expired'}
  return {status: 'ok', codeHash, grant: {connector: row.connector, agentId: row.agent_id, role: row.role as Role, project: row.project}}
}

/** Codes dead for a day are of no use to anyone, not even the audit trail (which has its own rows). */
export const PAIR_CODE_PURGE_AFTER_MS = 86_400_000

/** The stored project of a grant (redacted: a project name is no place for a secret). */
export function storedGrantProject(grant: PairingGrant): string | null {
  return grant.project === null ? null : redactText(grant.project)
}

/** One-time pairing codes (SECURITY.md): stored hashed, single use, expiring. */
export class PairingStore {
  private readonly insert
  private readonly byHash
  private readonly pending
  private readonly purge
  private readonly markClaimed

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare(`
      INSERT INTO pairing_codes (code_hash, connector, agent_id, role, project, created_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`)
    this.byHash = db.prepare<[string], PairingRow>('SELECT * FROM pairing_codes WHERE code_hash = ?')
    this.pending = db.prepare<[string], {n: number}>('SELECT count(*) AS n FROM pairing_codes WHERE claimed_at IS NULL AND expires_at > ?')
    this.purge = db.prepare('DELETE FROM pairing_codes WHERE expires_at < ?')
    this.markClaimed = db.prepare('UPDATE pairing_codes SET claimed_at = ?, claimed_key_id = ? WHERE code_hash = ? AND claimed_at IS NULL')
  }

  pendingCount(now = new Date()): number {
    return this.pending.get(now.toISOString())?.n ?? 0
  }

  issue(grant: PairingGrant, ttlMs: number, now = new Date()): IssuedPairCode {
    this.purge.run(new Date(now.getTime() - PAIR_CODE_PURGE_AFTER_MS).toISOString())
    const createdAt = now.toISOString()
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
    for (let attempt = 0; ; attempt++) {
      const code = generatePairCode()
      try {
        this.insert.run(hashPairCode(normalizePairCode(code)!), grant.connector, grant.agentId, grant.role, storedGrantProject(grant), createdAt, expiresAt)
        return {...grant, code, createdAt, expiresAt}
      } catch (error) {
        if ((error as {code?: string}).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' || attempt > 3) throw error
      }
    }
  }

  /** Look a code up for claiming; `complete` must follow in the same transaction. */
  check(input: string, now = new Date()): PairClaimOutcome {
    const normalized = normalizePairCode(input)
    if (!normalized) return {status: 'malformed'}
    const codeHash = hashPairCode(normalized)
    return judgePairingRow(this.byHash.get(codeHash), codeHash, now)
  }

  /** Returns false when another claim won the race. */
  complete(codeHash: string, keyId: string, now = new Date()): boolean {
    return this.markClaimed.run(now.toISOString(), keyId, codeHash).changes === 1
  }
}
