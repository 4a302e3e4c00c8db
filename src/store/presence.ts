import type {SqliteDatabase} from './db.js'
import {redactText} from './redaction.js'

export type PeerStatus = 'online' | 'idle' | 'offline'

/** One connector session of one agent, as the hooks last saw it. */
export interface Peer {
  agent: string
  harness: string
  machine: string | null
  session: string | null
  project: string | null
  lastSeen: string
  lastEvent: string | null
  endedAt: string | null
  status: PeerStatus
}

export interface PresenceTimeouts {
  /** Seen more recently than this: online. */
  idleAfterMs: number
  /** Seen more recently than this (but not online): idle; older: offline. */
  offlineAfterMs: number
}

export const DEFAULT_PRESENCE_TIMEOUTS: PresenceTimeouts = {idleAfterMs: 5 * 60_000, offlineAfterMs: 30 * 60_000}

export interface PresenceRow {
  agent_id: string
  harness: string
  machine_id: string
  session_key: string
  project: string | null
  last_seen_at: string
  last_event: string | null
  ended_at: string | null
}

/** Status is derived when read, so a session that simply stops sending hooks fades out without a sweeper. */
export function peerStatus(row: {lastSeen: string; endedAt: string | null}, timeouts: PresenceTimeouts, now = Date.now()): PeerStatus {
  if (row.endedAt) return 'offline'
  const age = now - Date.parse(row.lastSeen)
  if (age < timeouts.idleAfterMs) return 'online'
  if (age < timeouts.offlineAfterMs) return 'idle'
  return 'offline'
}

export type PresenceSighting = {
  agentId: string
  harness: string
  machineId?: string | null
  sessionKey?: string | null
  project?: string | null
  keyId?: string | null
  event: string
}

/** The upserted row for a hook event ('' stands for no machine or session); session-end marks the session offline at once. */
export function presenceRow(input: PresenceSighting, now: Date) {
  const at = now.toISOString()
  return {
    agent_id: input.agentId,
    harness: redactText(input.harness),
    machine_id: input.machineId ? redactText(input.machineId) : '',
    session_key: input.sessionKey ?? '',
    project: input.project ? redactText(input.project) : null,
    key_id: input.keyId ?? null,
    at,
    event: input.event,
    ended_at: input.event === 'session-end' ? at : null,
  }
}

export function rowToPeer(row: PresenceRow, timeouts: PresenceTimeouts, now: number): Peer {
  const peer = {
    agent: row.agent_id,
    harness: row.harness,
    machine: row.machine_id || null,
    session: row.session_key || null,
    project: row.project,
    lastSeen: row.last_seen_at,
    lastEvent: row.last_event,
    endedAt: row.ended_at,
  }
  return {...peer, status: peerStatus(peer, timeouts, now)}
}

/** Presence of every connector session: written by the hook routes, read by the peers list and the policy. */
export class PresenceStore {
  private readonly upsert

  constructor(
    private readonly db: SqliteDatabase,
    private readonly timeouts: PresenceTimeouts = DEFAULT_PRESENCE_TIMEOUTS,
  ) {
    this.upsert = db.prepare(`INSERT INTO agent_presence (agent_id, harness, machine_id, session_key, project, key_id, last_seen_at, last_event, ended_at)
      VALUES (@agent_id, @harness, @machine_id, @session_key, @project, @key_id, @at, @event, @ended_at)
      ON CONFLICT (agent_id, harness, machine_id, session_key) DO UPDATE SET
        project = coalesce(excluded.project, project), key_id = excluded.key_id, last_seen_at = excluded.last_seen_at,
        last_event = excluded.last_event, ended_at = excluded.ended_at`)
  }

  /** Record a hook event; session-end marks the session offline at once. */
  see(input: PresenceSighting, now = new Date()): void {
    this.upsert.run(presenceRow(input, now))
  }

  /** Every peer (or one agent's), most recently seen first. */
  list(options: {agentId?: string; limit?: number} = {}, now = Date.now()): Peer[] {
    const limit = options.limit ?? 500
    const rows = (
      options.agentId === undefined
        ? this.db.prepare('SELECT * FROM agent_presence ORDER BY last_seen_at DESC, agent_id, harness, machine_id, session_key LIMIT ?').all(limit)
        : this.db
            .prepare('SELECT * FROM agent_presence WHERE agent_id = ? ORDER BY last_seen_at DESC, harness, machine_id, session_key LIMIT ?')
            .all(options.agentId, limit)
    ) as PresenceRow[]
    return rows.map((row) => rowToPeer(row, this.timeouts, now))
  }

  /** The agent that owns a session key, if a hook ever reported it. */
  agentOfSession(sessionKey: string): {agent: string; project: string | null} | undefined {
    const row = this.db
      .prepare(
        "SELECT agent_id, project FROM agent_presence WHERE session_key = ? AND session_key != '' ORDER BY last_seen_at DESC, harness, machine_id LIMIT 1",
      )
      .get(sessionKey) as {agent_id: string; project: string | null} | undefined
    return row ? {agent: row.agent_id, project: row.project} : undefined
  }

  /** Where one of an agent's sessions runs (harness and machine), from its latest hook. */
  sessionOf(agentId: string, sessionKey: string): {harness: string; machine: string | null} | undefined {
    const row = this.db
      .prepare('SELECT harness, machine_id FROM agent_presence WHERE agent_id = ? AND session_key = ? ORDER BY last_seen_at DESC, harness, machine_id LIMIT 1')
      .get(agentId, sessionKey) as {harness: string; machine_id: string} | undefined
    return row ? {harness: row.harness, machine: row.machine_id || null} : undefined
  }

  isKnownAgent(agentId: string): boolean {
    return this.db.prepare('SELECT 1 FROM agent_presence WHERE agent_id = ? LIMIT 1').get(agentId) !== undefined
  }

  /** Projects an agent has been seen working in (for the same-project policy). */
  projectsOf(agentId: string): string[] {
    const rows = this.db.prepare('SELECT DISTINCT project FROM agent_presence WHERE agent_id = ? AND project IS NOT NULL').all(agentId) as Array<{
      project: string
    }>
    return rows.map((row) => row.project)
  }
}
