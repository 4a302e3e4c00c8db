import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'

import type {SqliteDatabase} from './db.js'

/** A login link or session cookie: 32 random bytes, base64url (43 chars). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/
/** Unused, unexpired login links at once: more is a script gone wrong. */
export const MAX_PENDING_LOGIN_LINKS = 20
export const DEFAULT_LOGIN_LINK_TTL_MS = 10 * 60_000
/** A device stays logged in this long after it paired, unless revoked first. */
export const DEVICE_SESSION_TTL_MS = 30 * 86_400_000
/** last_used_at is a hint for the owner, not an audit trail: write it at most this often per device. */
export const DEVICE_LAST_USED_RESOLUTION_MS = 60_000

/** What a device may see: nothing narrower (the owner's own browser) or one agent and/or project. */
export interface DeviceGrant {
  name: string
  agentId: string | null
  project: string | null
}

export interface IssuedLoginLink extends DeviceGrant {
  /** Goes into the URL once; only its digest is stored. */
  token: string
  createdAt: string
  expiresAt: string
}

export interface DeviceSession extends DeviceGrant {
  id: string
  userAgent: string | null
  createdAt: string
  lastUsedAt: string | null
  expiresAt: string
  revokedAt: string | null
  status: 'active' | 'revoked' | 'expired'
}

export type LoginOutcome = {status: 'ok'; device: DeviceSession; token: string} | {status: 'malformed' | 'unknown' | 'expired' | 'used'}

export type SessionCheck = {ok: true; device: DeviceSession} | {ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired'; deviceId?: string}

export interface LoginLinkRow {
  token_hash: string
  name: string
  agent_id: string | null
  project: string | null
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface DeviceSessionRow {
  id: string
  token_hash: string
  name: string
  agent_id: string | null
  project: string | null
  user_agent: string | null
  created_at: string
  last_used_at: string | null
  expires_at: string
  revoked_at: string | null
}

export function isDeviceToken(value: string): boolean {
  return TOKEN_PATTERN.test(value)
}

export function deviceTokenDigest(purpose: 'login' | 'session', token: string): string {
  return `sha256:${createHash('sha256').update(`signet-device-${purpose}:${token}`).digest('hex')}`
}

/**
 * The CSRF token a page must echo in `X-CSRF-Token`: derived from the session cookie, so nothing
 * extra is stored, a page that cannot read the cookie cannot compute it, and it dies with the session.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`signet-device-csrf:${sessionToken}`).digest('base64url')
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false
  const expected = Buffer.from(csrfTokenFor(sessionToken))
  const given = Buffer.from(presented)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export function rowToDevice(row: DeviceSessionRow, now: number): DeviceSession {
  const status = row.revoked_at ? 'revoked' : Date.parse(row.expires_at) <= now ? 'expired' : 'active'
  return {
    id: row.id,
    name: row.name,
    agentId: row.agent_id,
    project: row.project,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    status,
  }
}

/** Login links dead for a day are purged when a new one is issued. */
export const LOGIN_LINK_PURGE_AFTER_MS = 86_400_000

/** Why a login link cannot be spent now, or undefined when it can. */
export function loginLinkRefusal(link: LoginLinkRow | undefined, now: Date): 'unknown' | 'used' | 'expired' | undefined {
  if (!link) return 'unknown'
  if (link.used_at) return 'used'
  if (Date.parse(link.expires_at) <= now.getTime()) return 'expired'
  return undefined
}

/** The device session a spent link turns into, and the raw token for the cookie (only its digest is stored). */
export function newDeviceSessionRow(link: LoginLinkRow, userAgent: string | null, now: Date): {row: DeviceSessionRow; token: string} {
  const token = randomBytes(32).toString('base64url')
  const createdAt = now.toISOString()
  return {
    token,
    row: {
      id: `dev_${randomBytes(12).toString('base64url')}`,
      token_hash: deviceTokenDigest('session', token),
      name: link.name,
      agent_id: link.agent_id,
      project: link.project,
      user_agent: userAgent?.slice(0, 200) ?? null,
      created_at: createdAt,
      last_used_at: createdAt,
      expires_at: new Date(now.getTime() + DEVICE_SESSION_TTL_MS).toISOString(),
      revoked_at: null,
    },
  }
}

/** One-time dashboard login links and the device sessions they turn into (stored hashed, revocable). */
export class DeviceSessionStore {
  private readonly insertLink
  private readonly linkByHash
  private readonly pendingLinks
  private readonly purgeLinks
  private readonly useLink
  private readonly insertSession
  private readonly sessionByHash
  private readonly sessionById
  private readonly allSessions
  private readonly revokeSession
  private readonly touchSession
  private readonly lastTouched = new Map<string, number>()

  constructor(private readonly db: SqliteDatabase) {
    this.insertLink = db.prepare('INSERT INTO device_login_links (token_hash, name, agent_id, project, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
    this.linkByHash = db.prepare<[string], LoginLinkRow>('SELECT * FROM device_login_links WHERE token_hash = ?')
    this.pendingLinks = db.prepare<[string], {n: number}>('SELECT count(*) AS n FROM device_login_links WHERE used_at IS NULL AND expires_at > ?')
    this.purgeLinks = db.prepare('DELETE FROM device_login_links WHERE expires_at < ?')
    this.useLink = db.prepare('UPDATE device_login_links SET used_at = ?, device_id = ? WHERE token_hash = ? AND used_at IS NULL')
    this.insertSession = db.prepare(
      'INSERT INTO device_sessions (id, token_hash, name, agent_id, project, user_agent, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.sessionByHash = db.prepare<[string], DeviceSessionRow>('SELECT * FROM device_sessions WHERE token_hash = ?')
    this.sessionById = db.prepare<[string], DeviceSessionRow>('SELECT * FROM device_sessions WHERE id = ?')
    this.allSessions = db.prepare<[], DeviceSessionRow>('SELECT * FROM device_sessions ORDER BY created_at DESC, id')
    this.revokeSession = db.prepare('UPDATE device_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
    this.touchSession = db.prepare('UPDATE device_sessions SET last_used_at = ? WHERE id = ?')
  }

  pendingLinkCount(now = new Date()): number {
    return this.pendingLinks.get(now.toISOString())?.n ?? 0
  }

  issueLink(grant: DeviceGrant, ttlMs = DEFAULT_LOGIN_LINK_TTL_MS, now = new Date()): IssuedLoginLink {
    this.purgeLinks.run(new Date(now.getTime() - LOGIN_LINK_PURGE_AFTER_MS).toISOString())
    const token = randomBytes(32).toString('base64url')
    const createdAt = now.toISOString()
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
    this.insertLink.run(deviceTokenDigest('login', token), grant.name, grant.agentId, grant.project, createdAt, expiresAt)
    return {...grant, token, createdAt, expiresAt}
  }

  /** Spend a login link (once) and open a device session for it; the returned token goes into the cookie. */
  login(linkToken: string, userAgent: string | null, now = new Date()): LoginOutcome {
    if (!isDeviceToken(linkToken)) return {status: 'malformed'}
    const hash = deviceTokenDigest('login', linkToken)
    return this.db.transaction((): LoginOutcome => {
      const link = this.linkByHash.get(hash)
      const refusal = loginLinkRefusal(link, now)
      if (refusal || !link) return {status: refusal ?? 'unknown'}
      const {row, token} = newDeviceSessionRow(link, userAgent, now)
      if (this.useLink.run(row.created_at, row.id, hash).changes !== 1) return {status: 'used'}
      this.insertSession.run(row.id, row.token_hash, row.name, row.agent_id, row.project, row.user_agent, row.created_at, row.last_used_at, row.expires_at)
      return {status: 'ok', token, device: rowToDevice(this.sessionById.get(row.id)!, now.getTime())}
    })()
  }

  /** Checked on every cookie request: revocation and expiry take effect on the next one. */
  verify(sessionToken: string, now = new Date()): SessionCheck {
    if (!isDeviceToken(sessionToken)) return {ok: false, reason: 'malformed'}
    const row = this.sessionByHash.get(deviceTokenDigest('session', sessionToken))
    if (!row) return {ok: false, reason: 'unknown'}
    const device = rowToDevice(row, now.getTime())
    if (device.status !== 'active') return {ok: false, reason: device.status, deviceId: device.id}
    const last = this.lastTouched.get(row.id) ?? 0
    if (now.getTime() - last >= DEVICE_LAST_USED_RESOLUTION_MS) {
      this.lastTouched.set(row.id, now.getTime())
      this.touchSession.run(now.toISOString(), row.id)
    }
    return {ok: true, device}
  }

  list(now = new Date()): DeviceSession[] {
    return this.allSessions.all().map((row) => rowToDevice(row, now.getTime()))
  }

  get(id: string, now = new Date()): DeviceSession | undefined {
    const row = this.sessionById.get(id)
    return row ? rowToDevice(row, now.getTime()) : undefined
  }

  /** Returns the device as it is now, or undefined when no such id exists. Revoking twice is harmless. */
  revoke(id: string, now = new Date()): DeviceSession | undefined {
    this.revokeSession.run(now.toISOString(), id)
    return this.get(id, now)
  }
}
