import type {ProjectFilter} from '../memories.js'
import {
  type HarnessSighting,
  mergeInjectedIds,
  newSessionRow,
  newSightingRow,
  rowToSession,
  rowToSighting,
  type SessionRecord,
  type SessionRow,
  type SessionTouch,
  type SightingRow,
} from '../sessions.js'
import type {SessionRepository} from '../storage.js'
import {execute, inTransaction, Params, type Pool, query, queryOne} from './client.js'
import {projectConditionPg} from './search-index.js'

const SESSION_COLUMNS = 'session_key, agent_id, harness, machine_id, project, key_id, started_at, ended_at, context_loaded_at, injected_ids'

/** Sessions and harness sightings on PostgreSQL (the rules of sessions.ts). */
export class PostgresSessions implements SessionRepository {
  constructor(private readonly pool: Pool) {}

  async get(agentId: string, sessionKey: string): Promise<SessionRecord | undefined> {
    const row = await queryOne<SessionRow>(this.pool, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE agent_id = $1 AND session_key = $2`, [agentId, sessionKey])
    return row ? rowToSession(row) : undefined
  }

  async ownedByAnotherAgent(sessionKey: string, agentId: string): Promise<boolean> {
    return (await queryOne(this.pool, 'SELECT 1 FROM sessions WHERE session_key = $1 AND agent_id <> $2 LIMIT 1', [sessionKey, agentId])) !== undefined
  }

  /** The first touch (on any daemon) creates the row and fixes its owner; later ones, and losers of a race, read it. */
  async touch(input: SessionTouch): Promise<{session: SessionRecord; known: boolean}> {
    const row = newSessionRow(input, new Date().toISOString())
    const inserted = await queryOne<SessionRow>(
      this.pool,
      `INSERT INTO sessions (session_key, agent_id, harness, machine_id, project, key_id, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (agent_id, session_key) DO NOTHING RETURNING ${SESSION_COLUMNS}`,
      [row.session_key, row.agent_id, row.harness, row.machine_id, row.project, row.key_id, row.started_at],
    )
    if (inserted) return {session: rowToSession(inserted), known: false}
    const existing = await this.get(input.agentId, input.sessionKey)
    if (!existing) throw new Error(`session ${input.sessionKey} vanished while it was being touched`)
    return {session: existing, known: true}
  }

  async addInjected(agentId: string, sessionKey: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await inTransaction(this.pool, async (client) => {
      const current = await queryOne<{injected_ids: string}>(client, 'SELECT injected_ids FROM sessions WHERE agent_id = $1 AND session_key = $2 FOR UPDATE', [
        agentId,
        sessionKey,
      ])
      if (!current) return
      const merged = mergeInjectedIds(JSON.parse(current.injected_ids) as string[], ids)
      await execute(client, 'UPDATE sessions SET injected_ids = $1 WHERE agent_id = $2 AND session_key = $3', [JSON.stringify(merged), agentId, sessionKey])
    })
  }

  async clearInjected(agentId: string, sessionKey: string): Promise<void> {
    await execute(this.pool, "UPDATE sessions SET injected_ids = '[]' WHERE agent_id = $1 AND session_key = $2", [agentId, sessionKey])
  }

  async markContextLoaded(agentId: string, sessionKey: string): Promise<void> {
    await execute(this.pool, 'UPDATE sessions SET context_loaded_at = $1 WHERE agent_id = $2 AND session_key = $3', [
      new Date().toISOString(),
      agentId,
      sessionKey,
    ])
  }

  async end(agentId: string, sessionKey: string): Promise<void> {
    await execute(this.pool, 'UPDATE sessions SET ended_at = $1 WHERE agent_id = $2 AND session_key = $3', [new Date().toISOString(), agentId, sessionKey])
  }

  async list(filter: {agentId?: string; limit: number; offset: number} & ProjectFilter): Promise<{sessions: SessionRecord[]; total: number}> {
    const params = new Params()
    const where: string[] = []
    if (filter.agentId !== undefined) where.push(`agent_id = ${params.add(filter.agentId)}`)
    const inProjects = projectConditionPg(filter, 'project', params)
    if (inProjects) where.push(inProjects)
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const total = (await queryOne<{n: number}>(this.pool, `SELECT count(*) AS n FROM sessions ${clause}`, params.values))?.n ?? 0
    const limit = params.add(filter.limit)
    const offset = params.add(filter.offset)
    const rows = await query<SessionRow>(
      this.pool,
      `SELECT ${SESSION_COLUMNS} FROM sessions ${clause} ORDER BY started_at DESC, agent_id, session_key LIMIT ${limit} OFFSET ${offset}`,
      params.values,
    )
    return {sessions: rows.map(rowToSession), total}
  }

  async recordSighting(input: {harness: string; agentId: string; machineId?: string | null; event: string}): Promise<void> {
    const row = newSightingRow(input, new Date().toISOString())
    await execute(
      this.pool,
      `INSERT INTO harness_sightings (harness, agent_id, machine_id, last_seen_at, last_event) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (harness, agent_id) DO UPDATE SET machine_id = excluded.machine_id, last_seen_at = excluded.last_seen_at, last_event = excluded.last_event`,
      [row.harness, row.agent_id, row.machine_id, row.last_seen_at, row.last_event],
    )
  }

  async sightings(agentId?: string): Promise<HarnessSighting[]> {
    const columns = 'harness, agent_id, machine_id, last_seen_at, last_event'
    const rows =
      agentId === undefined
        ? await query<SightingRow>(this.pool, `SELECT ${columns} FROM harness_sightings ORDER BY last_seen_at DESC, harness, agent_id`)
        : await query<SightingRow>(this.pool, `SELECT ${columns} FROM harness_sightings WHERE agent_id = $1 ORDER BY last_seen_at DESC, harness`, [agentId])
    return rows.map(rowToSighting)
  }
}
