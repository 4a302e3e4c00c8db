import type {SqliteDatabase} from './db.js'
import {type ProjectFilter, projectCondition} from './memories.js'
import {redactText} from './redaction.js'

/** One harness session as the daemon saw it through hooks. */
export interface SessionRecord {
  sessionKey: string
  agentId: string
  harness: string | null
  machineId: string | null
  project: string | null
  keyId: string | null
  startedAt: string
  endedAt: string | null
  /** When a session-start inject was delivered (a prompt hook may create the session earlier). */
  contextLoadedAt: string | null
  injectedIds: string[]
}

export interface SessionRow {
  session_key: string
  agent_id: string
  harness: string | null
  machine_id: string | null
  project: string | null
  key_id: string | null
  started_at: string
  ended_at: string | null
  context_loaded_at: string | null
  injected_ids: string
}

export interface SessionTouch {
  sessionKey: string
  agentId: string
  harness?: string | null
  machineId?: string | null
  project?: string | null
  keyId?: string | null
}

export interface HarnessSighting {
  harness: string
  agentId: string
  machineId: string | null
  lastSeenAt: string
  lastEvent: string | null
}

/** Ids kept per session for "never repeat": enough for a long session, bounded for the row. */
export const MAX_INJECTED_IDS = 2000

export function rowToSession(row: SessionRow): SessionRecord {
  return {
    sessionKey: row.session_key,
    agentId: row.agent_id,
    harness: row.harness,
    machineId: row.machine_id,
    project: row.project,
    keyId: row.key_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    contextLoadedAt: row.context_loaded_at,
    injectedIds: JSON.parse(row.injected_ids) as string[],
  }
}

/** The row a first touch inserts: the session's text fields redacted. */
export function newSessionRow(input: SessionTouch, now: string): Omit<SessionRow, 'ended_at' | 'context_loaded_at' | 'injected_ids'> {
  return {
    session_key: input.sessionKey,
    agent_id: input.agentId,
    harness: input.harness ? redactText(input.harness) : null,
    machine_id: input.machineId ? redactText(input.machineId) : null,
    project: input.project ? redactText(input.project) : null,
    key_id: input.keyId ?? null,
    started_at: now,
  }
}

/** What the session has been given so far plus `ids`, oldest dropped past MAX_INJECTED_IDS. */
export function mergeInjectedIds(current: string[], ids: string[]): string[] {
  return [...new Set([...current, ...ids])].slice(-MAX_INJECTED_IDS)
}

export interface SightingRow {
  harness: string
  agent_id: string
  machine_id: string | null
  last_seen_at: string
  last_event: string | null
}

/** A harness sighting as stored (harness and machine redacted). */
export function newSightingRow(input: {harness: string; agentId: string; machineId?: string | null; event: string}, now: string): SightingRow {
  return {
    harness: redactText(input.harness),
    agent_id: input.agentId,
    machine_id: input.machineId ? redactText(input.machineId) : null,
    last_seen_at: now,
    last_event: input.event,
  }
}

export function rowToSighting(row: SightingRow): HarnessSighting {
  return {harness: row.harness, agentId: row.agent_id, machineId: row.machine_id, lastSeenAt: row.last_seen_at, lastEvent: row.last_event}
}

/** Sessions and harness sightings: the only code that writes those tables. */
export class SessionStore {
  private readonly getStatement
  private readonly insertStatement
  private readonly setInjectedStatement
  private readonly endStatement
  private readonly contextLoadedStatement
  private readonly sightingStatement

  constructor(private readonly db: SqliteDatabase) {
    this.getStatement = db.prepare('SELECT * FROM sessions WHERE agent_id = ? AND session_key = ?')
    this.insertStatement = db.prepare(`INSERT INTO sessions (session_key, agent_id, harness, machine_id, project, key_id, started_at)
      VALUES (@session_key, @agent_id, @harness, @machine_id, @project, @key_id, @started_at)`)
    this.setInjectedStatement = db.prepare('UPDATE sessions SET injected_ids = ? WHERE agent_id = ? AND session_key = ?')
    this.endStatement = db.prepare('UPDATE sessions SET ended_at = ? WHERE agent_id = ? AND session_key = ?')
    this.contextLoadedStatement = db.prepare('UPDATE sessions SET context_loaded_at = ? WHERE agent_id = ? AND session_key = ?')
    this.sightingStatement = db.prepare(`INSERT INTO harness_sightings (harness, agent_id, machine_id, last_seen_at, last_event)
      VALUES (@harness, @agent_id, @machine_id, @last_seen_at, @last_event)
      ON CONFLICT (harness, agent_id) DO UPDATE SET machine_id = excluded.machine_id, last_seen_at = excluded.last_seen_at, last_event = excluded.last_event`)
  }

  get(agentId: string, sessionKey: string): SessionRecord | undefined {
    const row = this.getStatement.get(agentId, sessionKey) as SessionRow | undefined
    return row ? rowToSession(row) : undefined
  }

  /** Does another agent than `agentId` already hold a session with this key? */
  ownedByAnotherAgent(sessionKey: string, agentId: string): boolean {
    return this.db.prepare('SELECT 1 FROM sessions WHERE session_key = ? AND agent_id != ? LIMIT 1').get(sessionKey, agentId) !== undefined
  }

  /**
   * The session, created on first sight; `known` says whether it existed before this call. The
   * first use fixes who owns it (agent and project). Its text fields are redacted on the way in.
   */
  touch(input: SessionTouch): {session: SessionRecord; known: boolean} {
    return this.db
      .transaction(() => {
        const existing = this.get(input.agentId, input.sessionKey)
        if (existing) return {session: existing, known: true}
        const row = newSessionRow(input, new Date().toISOString())
        this.insertStatement.run(row)
        return {session: rowToSession({...row, ended_at: null, context_loaded_at: null, injected_ids: '[]'}), known: false}
      })
      .immediate()
  }

  /** Remember what this session's context already holds, so later prompts do not repeat it. */
  addInjected(agentId: string, sessionKey: string, ids: string[]): void {
    if (ids.length === 0) return
    this.db
      .transaction(() => {
        const current = this.get(agentId, sessionKey)
        if (!current) return
        const merged = mergeInjectedIds(current.injectedIds, ids)
        this.setInjectedStatement.run(JSON.stringify(merged), agentId, sessionKey)
      })
      .immediate()
  }

  /** After a compaction the model's context no longer holds earlier injects. */
  clearInjected(agentId: string, sessionKey: string): void {
    this.setInjectedStatement.run('[]', agentId, sessionKey)
  }

  markContextLoaded(agentId: string, sessionKey: string): void {
    this.contextLoadedStatement.run(new Date().toISOString(), agentId, sessionKey)
  }

  end(agentId: string, sessionKey: string): void {
    this.endStatement.run(new Date().toISOString(), agentId, sessionKey)
  }

  list(query: {agentId?: string; limit: number; offset: number} & ProjectFilter): {sessions: SessionRecord[]; total: number} {
    const where: string[] = []
    const params: Record<string, unknown> = {limit: query.limit, offset: query.offset}
    if (query.agentId !== undefined) {
      where.push('agent_id = @agentId')
      params.agentId = query.agentId
    }
    const inProjects = projectCondition(query, 'project', params)
    if (inProjects) where.push(inProjects)
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const total = (this.db.prepare(`SELECT count(*) AS n FROM sessions ${clause}`).get(params) as {n: number}).n
    const rows = this.db
      .prepare(`SELECT * FROM sessions ${clause} ORDER BY started_at DESC, agent_id, session_key LIMIT @limit OFFSET @offset`)
      .all(params) as SessionRow[]
    return {sessions: rows.map(rowToSession), total}
  }

  recordSighting(input: {harness: string; agentId: string; machineId?: string | null; event: string}): void {
    this.sightingStatement.run(newSightingRow(input, new Date().toISOString()))
  }

  sightings(agentId?: string): HarnessSighting[] {
    const rows = (
      agentId === undefined
        ? this.db.prepare('SELECT * FROM harness_sightings ORDER BY last_seen_at DESC, harness, agent_id').all()
        : this.db.prepare('SELECT * FROM harness_sightings WHERE agent_id = ? ORDER BY last_seen_at DESC, harness').all(agentId)
    ) as SightingRow[]
    return rows.map(rowToSighting)
  }
}
