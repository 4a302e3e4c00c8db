import {
  type AgentEvent,
  type AgentEventType,
  type AgentMessage,
  MESSAGE_STATE_CONDITION,
  type MessageRow,
  type MessageState,
  type NewMessage,
  newMessageRow,
  redactMessage,
  rowToEvent,
  type EventRow,
  rowToMessage,
} from '../agent-messages.js'
import {DEFAULT_PRESENCE_TIMEOUTS, type Peer, type PresenceRow, type PresenceSighting, type PresenceTimeouts, presenceRow, rowToPeer} from '../presence.js'
import {type PromptReceipt, receiptRow, type ReceiptRow, rowToReceipt} from '../prompt-receipts.js'
import type {AgentMessageRepository, PresenceRepository, PromptReceiptRepository, RateLimitRepository} from '../storage.js'
import {execute, inTransaction, type Pool, type PoolClient, query, queryOne, type Queryable} from './client.js'

const MESSAGE_COLUMNS =
  'seq, id, from_agent, from_machine, from_harness, from_session, to_address, to_agent, kind, subject, body, reply_to, thread, project, created_at, delivered_at, delivered_session, acked_at'

/**
 * Taken (per transaction) before an event row is added. Event seqs are what a stream resumes
 * after (`Last-Event-ID`): without the lock, a transaction that drew seq 10 could commit after one
 * that drew 11, and a stream on another daemon that already read 11 would never see 10.
 */
const EVENT_ORDER_LOCK = 0x5347_4556_4e54

// A message narrowed to a machine or a session is only for that one; an agent-wide one is for any of them.
const UNREAD_FOR_SESSION = `SELECT ${MESSAGE_COLUMNS} FROM agent_messages
  WHERE to_agent = $1 AND delivered_at IS NULL
    AND (to_machine IS NULL OR to_machine = $2)
    AND (to_session IS NULL OR to_session = $3)
  ORDER BY seq LIMIT $4`

/** Messages between agents and their event log on PostgreSQL (the rules of agent-messages.ts). */
export class PostgresMessages implements AgentMessageRepository {
  constructor(private readonly pool: Pool) {}

  async get(id: string): Promise<AgentMessage | undefined> {
    return getMessage(this.pool, id)
  }

  async send(input: NewMessage, now = new Date()): Promise<{message: AgentMessage; event: AgentEvent; redactions: number}> {
    const redacted = redactMessage(input)
    return inTransaction(this.pool, async (client) => {
      const parent = input.replyTo ? await getMessage(client, input.replyTo) : undefined
      const row = newMessageRow(input, redacted, parent, now)
      const inserted = await queryOne<MessageRow>(
        client,
        `INSERT INTO agent_messages (id, from_agent, from_machine, from_harness, from_session, from_key_id, to_address, to_agent, to_machine, to_session,
            kind, subject, body, reply_to, thread, project, created_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING ${MESSAGE_COLUMNS}`,
        [
          row.id,
          row.from_agent,
          row.from_machine,
          row.from_harness,
          row.from_session,
          row.from_key_id,
          row.to_address,
          row.to_agent,
          row.to_machine,
          row.to_session,
          row.kind,
          row.subject,
          row.body,
          row.reply_to,
          row.thread,
          row.project,
          row.created_at,
        ],
      )
      const message = rowToMessage(inserted!)
      const [event] = await recordEvents(client, 'message', [message], now)
      return {message, event, redactions: redacted.redactions}
    })
  }

  async unreadFor(agent: string, where: {machine?: string | null; session?: string | null}, limit = 50): Promise<AgentMessage[]> {
    const rows = await query<MessageRow>(this.pool, UNREAD_FOR_SESSION, [agent, where.machine ?? null, where.session ?? null, limit])
    return rows.map(rowToMessage)
  }

  /** Mark shown messages delivered (only those still pending: two sessions racing deliver each message once). */
  async markDelivered(ids: readonly string[], session: string | null, now = new Date()): Promise<AgentEvent[]> {
    if (ids.length === 0) return []
    return inTransaction(this.pool, (client) => deliver(client, ids, session, now))
  }

  /**
   * Take the unread messages for a session and mark them delivered in one transaction. The rows are
   * locked as they are read: a claim on another daemon at the same moment waits, then finds them
   * delivered, so no message is shown twice.
   */
  async claimUnread(
    agent: string,
    where: {machine?: string | null; session?: string | null},
    select: (unread: AgentMessage[]) => AgentMessage[],
    now = new Date(),
  ): Promise<{shown: AgentMessage[]; events: AgentEvent[]; deferred: number}> {
    return inTransaction(this.pool, async (client) => {
      const rows = await query<MessageRow>(client, `${UNREAD_FOR_SESSION} FOR UPDATE`, [agent, where.machine ?? null, where.session ?? null, 50])
      // A row delivered by the transaction we waited for is re-checked after the lock and dropped.
      const unread = rows.map(rowToMessage)
      const shown = select(unread)
      const events = await deliver(
        client,
        shown.map((message) => message.id),
        where.session ?? null,
        now,
      )
      return {shown, events, deferred: unread.length - shown.length}
    })
  }

  async ack(id: string, now = new Date()): Promise<{message: AgentMessage; event?: AgentEvent} | undefined> {
    return inTransaction(this.pool, async (client) => {
      const existing = await getMessage(client, id, true)
      if (!existing) return undefined
      if (existing.ackedAt) return {message: existing}
      const at = now.toISOString()
      const row = await queryOne<MessageRow>(
        client,
        `UPDATE agent_messages SET acked_at = $1, delivered_at = coalesce(delivered_at, $1) WHERE id = $2 RETURNING ${MESSAGE_COLUMNS}`,
        [at, id],
      )
      const message = rowToMessage(row!)
      const [event] = await recordEvents(client, 'acked', [message], now)
      return {message, event}
    })
  }

  async list(
    agent: string,
    options: {box?: 'in' | 'sent'; state?: MessageState | 'unacked' | 'all'; thread?: string; limit?: number; before?: number} = {},
  ): Promise<AgentMessage[]> {
    const where = [options.box === 'sent' ? 'from_agent = $1' : 'to_agent = $1']
    const values: unknown[] = [agent]
    const state = MESSAGE_STATE_CONDITION[options.state ?? 'all']
    if (state) where.push(state)
    if (options.thread) {
      values.push(options.thread)
      where.push(`thread = $${values.length}`)
    }
    values.push(options.limit ?? 50)
    const rows = await query<MessageRow>(
      this.pool,
      `SELECT ${MESSAGE_COLUMNS} FROM agent_messages WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${values.length}`,
      values,
    )
    return rows.map(rowToMessage)
  }

  async eventsFor(agent: string, afterSeq: number, limit = 500): Promise<AgentEvent[]> {
    const rows = await query<EventRow>(
      this.pool,
      'SELECT seq, at, type, message_id, to_agent, from_agent FROM agent_events WHERE seq > $1 AND (to_agent = $2 OR from_agent = $2) ORDER BY seq LIMIT $3',
      [afterSeq, agent, limit],
    )
    return rows.map(rowToEvent)
  }

  async lastEventSeq(): Promise<number> {
    return (await queryOne<{seq: number}>(this.pool, 'SELECT coalesce(max(seq), 0) AS seq FROM agent_events'))?.seq ?? 0
  }
}

async function getMessage(db: Queryable, id: string, forUpdate = false): Promise<AgentMessage | undefined> {
  const row = await queryOne<MessageRow>(db, `SELECT ${MESSAGE_COLUMNS} FROM agent_messages WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id])
  return row ? rowToMessage(row) : undefined
}

/** Mark still-pending messages delivered, in the order given, with one `delivered` event each. */
async function deliver(client: PoolClient, ids: readonly string[], session: string | null, now: Date): Promise<AgentEvent[]> {
  if (ids.length === 0) return []
  const rows = await query<MessageRow>(
    client,
    `UPDATE agent_messages SET delivered_at = $1, delivered_session = $2 WHERE id = ANY($3::text[]) AND delivered_at IS NULL RETURNING ${MESSAGE_COLUMNS}`,
    [now.toISOString(), session, [...ids]],
  )
  const byId = new Map(rows.map((row) => [row.id, rowToMessage(row)]))
  const delivered = ids.map((id) => byId.get(id)).filter((message): message is AgentMessage => message !== undefined)
  return recordEvents(client, 'delivered', delivered, now)
}

async function recordEvents(client: PoolClient, type: AgentEventType, messages: AgentMessage[], now: Date): Promise<AgentEvent[]> {
  if (messages.length === 0) return []
  await client.query('SELECT pg_advisory_xact_lock($1)', [EVENT_ORDER_LOCK])
  const at = now.toISOString()
  const events: AgentEvent[] = []
  for (const message of messages) {
    const row = await queryOne<EventRow>(
      client,
      'INSERT INTO agent_events (at, type, message_id, to_agent, from_agent) VALUES ($1, $2, $3, $4, $5) RETURNING seq, at, type, message_id, to_agent, from_agent',
      [at, type, message.id, message.toAgent, message.from.agent],
    )
    events.push(rowToEvent(row!))
  }
  return events
}

const PRESENCE_COLUMNS = 'agent_id, harness, machine_id, session_key, project, last_seen_at, last_event, ended_at'

/** Presence of every connector session on PostgreSQL (the rules of presence.ts): every daemon sees every peer. */
export class PostgresPresence implements PresenceRepository {
  constructor(
    private readonly pool: Pool,
    private readonly timeouts: PresenceTimeouts = DEFAULT_PRESENCE_TIMEOUTS,
  ) {}

  async see(input: PresenceSighting, now = new Date()): Promise<void> {
    const row = presenceRow(input, now)
    await execute(
      this.pool,
      `INSERT INTO agent_presence AS p (agent_id, harness, machine_id, session_key, project, key_id, last_seen_at, last_event, ended_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (agent_id, harness, machine_id, session_key) DO UPDATE SET
          project = coalesce(excluded.project, p.project), key_id = excluded.key_id, last_seen_at = excluded.last_seen_at,
          last_event = excluded.last_event, ended_at = excluded.ended_at`,
      [row.agent_id, row.harness, row.machine_id, row.session_key, row.project, row.key_id, row.at, row.event, row.ended_at],
    )
  }

  async list(options: {agentId?: string; limit?: number} = {}, now = Date.now()): Promise<Peer[]> {
    const limit = options.limit ?? 500
    const rows =
      options.agentId === undefined
        ? await query<PresenceRow>(
            this.pool,
            `SELECT ${PRESENCE_COLUMNS} FROM agent_presence ORDER BY last_seen_at DESC, agent_id, harness, machine_id, session_key LIMIT $1`,
            [limit],
          )
        : await query<PresenceRow>(
            this.pool,
            `SELECT ${PRESENCE_COLUMNS} FROM agent_presence WHERE agent_id = $1 ORDER BY last_seen_at DESC, harness, machine_id, session_key LIMIT $2`,
            [options.agentId, limit],
          )
    return rows.map((row) => rowToPeer(row, this.timeouts, now))
  }

  async agentOfSession(sessionKey: string): Promise<{agent: string; project: string | null} | undefined> {
    const row = await queryOne<{agent_id: string; project: string | null}>(
      this.pool,
      "SELECT agent_id, project FROM agent_presence WHERE session_key = $1 AND session_key <> '' ORDER BY last_seen_at DESC, harness, machine_id LIMIT 1",
      [sessionKey],
    )
    return row ? {agent: row.agent_id, project: row.project} : undefined
  }

  async sessionOf(agentId: string, sessionKey: string): Promise<{harness: string; machine: string | null} | undefined> {
    const row = await queryOne<{harness: string; machine_id: string}>(
      this.pool,
      'SELECT harness, machine_id FROM agent_presence WHERE agent_id = $1 AND session_key = $2 ORDER BY last_seen_at DESC, harness, machine_id LIMIT 1',
      [agentId, sessionKey],
    )
    return row ? {harness: row.harness, machine: row.machine_id || null} : undefined
  }

  async isKnownAgent(agentId: string): Promise<boolean> {
    return (await queryOne(this.pool, 'SELECT 1 FROM agent_presence WHERE agent_id = $1 LIMIT 1', [agentId])) !== undefined
  }

  async projectsOf(agentId: string): Promise<string[]> {
    const rows = await query<{project: string}>(this.pool, 'SELECT DISTINCT project FROM agent_presence WHERE agent_id = $1 AND project IS NOT NULL', [agentId])
    return rows.map((row) => row.project)
  }
}

/** Per-turn receipts on PostgreSQL (the rules of prompt-receipts.ts). */
export class PostgresReceipts implements PromptReceiptRepository {
  constructor(private readonly pool: Pool) {}

  async record(agentId: string, sessionKey: string, receipt: PromptReceipt): Promise<void> {
    const row = receiptRow(receipt)
    await execute(
      this.pool,
      'INSERT INTO prompt_receipts (agent_id, session_key, at, memory_ids, scores, why, message_ids, elapsed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [agentId, sessionKey, row.at, row.memory_ids, row.scores, row.why, row.message_ids, row.elapsed_ms],
    )
  }

  async forSession(agentId: string, sessionKey: string, limit = 500): Promise<PromptReceipt[]> {
    const rows = await query<ReceiptRow>(
      this.pool,
      'SELECT at, memory_ids, scores, why, message_ids, elapsed_ms FROM prompt_receipts WHERE agent_id = $1 AND session_key = $2 ORDER BY seq LIMIT $3',
      [agentId, sessionKey, limit],
    )
    return rows.map(rowToReceipt)
  }
}

/** Hits between two sweeps of windows that ended long ago. */
const SWEEP_EVERY = 1000
/** A window is swept this long after it ended (never one that could still count). */
const SWEEP_AFTER_MS = 3_600_000

/**
 * Fixed-window counters in one table, so every daemon counts the same hits: a window starts at
 * its key's first hit and lasts `windowMs`; a hit after it ends starts a new one. One atomic
 * upsert per hit, no read-modify-write.
 */
export class PostgresRateLimits implements RateLimitRepository {
  private hitsSinceSweep = 0

  constructor(private readonly pool: Pool) {}

  async hit(key: string, windowMs: number, now = Date.now()): Promise<{count: number; resetAt: number}> {
    const row = await queryOne<{count: number; reset_at: number}>(
      this.pool,
      `INSERT INTO rate_limits AS r (key, window_start, window_ms, count) VALUES ($1, $2, $3, 1)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN r.window_start + r.window_ms <= excluded.window_start THEN 1 ELSE r.count + 1 END,
          window_ms = CASE WHEN r.window_start + r.window_ms <= excluded.window_start THEN excluded.window_ms ELSE r.window_ms END,
          window_start = CASE WHEN r.window_start + r.window_ms <= excluded.window_start THEN excluded.window_start ELSE r.window_start END
        RETURNING count, window_start + window_ms AS reset_at`,
      [key, Math.floor(now), Math.max(1, Math.floor(windowMs))],
    )
    if (++this.hitsSinceSweep >= SWEEP_EVERY) {
      this.hitsSinceSweep = 0
      await execute(this.pool, 'DELETE FROM rate_limits WHERE window_start + window_ms < $1', [Math.floor(now) - SWEEP_AFTER_MS])
    }
    return {count: row!.count, resetAt: row!.reset_at}
  }

  async peek(key: string, windowMs: number, now = Date.now()): Promise<{count: number; resetAt: number}> {
    const row = await queryOne<{count: number; window_start: number; window_ms: number}>(
      this.pool,
      'SELECT count, window_start, window_ms FROM rate_limits WHERE key = $1',
      [key],
    )
    if (!row || row.window_start + row.window_ms <= now) return {count: 0, resetAt: Math.floor(now) + windowMs}
    return {count: row.count, resetAt: row.window_start + row.window_ms}
  }
}
