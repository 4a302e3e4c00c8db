import {randomUUID} from 'node:crypto'

import type {SqliteDatabase} from './db.js'
import {redactSecrets, redactText} from './redaction.js'

export type MessageKind = 'note' | 'request' | 'reply'
export type MessageState = 'pending' | 'delivered' | 'acked'

/** What each inbox filter adds to a listing's WHERE; both backends name the columns alike. */
export const MESSAGE_STATE_CONDITION: Record<MessageState | 'unacked' | 'all', string | undefined> = {
  pending: 'delivered_at IS NULL',
  delivered: 'delivered_at IS NOT NULL AND acked_at IS NULL',
  acked: 'acked_at IS NOT NULL',
  unacked: 'acked_at IS NULL',
  all: undefined,
}
export type AgentEventType = 'message' | 'delivered' | 'acked'

/** Where a message goes: always an agent's inbox, optionally narrowed to one machine or one session. */
export interface Recipient {
  address: string
  agent: string
  machine?: string | null
  session?: string | null
}

export interface AgentMessage {
  id: string
  from: {agent: string; machine: string | null; harness: string | null; session: string | null}
  to: string
  toAgent: string
  kind: MessageKind
  subject: string | null
  body: string
  replyTo: string | null
  thread: string
  project: string | null
  createdAt: string
  deliveredAt: string | null
  deliveredSession: string | null
  ackedAt: string | null
  state: MessageState
}

export interface AgentEvent {
  seq: number
  at: string
  type: AgentEventType
  messageId: string
  toAgent: string
  fromAgent: string
}

export interface NewMessage {
  from: {agent: string; machine?: string | null; harness?: string | null; session?: string | null; keyId?: string | null}
  to: Recipient
  kind: MessageKind
  subject?: string | null
  body: string
  replyTo?: string | null
  project?: string | null
}

export interface MessageRow {
  seq: number
  id: string
  from_agent: string
  from_machine: string | null
  from_harness: string | null
  from_session: string | null
  to_address: string
  to_agent: string
  kind: MessageKind
  subject: string | null
  body: string
  reply_to: string | null
  thread: string
  project: string | null
  created_at: string
  delivered_at: string | null
  delivered_session: string | null
  acked_at: string | null
}

export interface EventRow {
  seq: number
  at: string
  type: AgentEventType
  message_id: string
  to_agent: string
  from_agent: string
}

export function rowToMessage(row: MessageRow): AgentMessage {
  return {
    id: row.id,
    from: {agent: row.from_agent, machine: row.from_machine, harness: row.from_harness, session: row.from_session},
    to: row.to_address,
    toAgent: row.to_agent,
    kind: row.kind,
    subject: row.subject,
    body: row.body,
    replyTo: row.reply_to,
    thread: row.thread,
    project: row.project,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    deliveredSession: row.delivered_session,
    ackedAt: row.acked_at,
    state: row.acked_at ? 'acked' : row.delivered_at ? 'delivered' : 'pending',
  }
}

export function rowToEvent(row: EventRow): AgentEvent {
  return {seq: row.seq, at: row.at, type: row.type, messageId: row.message_id, toAgent: row.to_agent, fromAgent: row.from_agent}
}

/** Subject and body as stored (redacted), and how many secrets were masked in them. */
export function redactMessage(input: NewMessage): {subject: string | null; body: string; redactions: number} {
  const body = redactSecrets(input.body)
  const subject = input.subject ? redactSecrets(input.subject) : undefined
  const redactions = [body, subject].reduce((sum, result) => sum + Object.values(result?.redacted ?? {}).reduce((a, b) => a + b, 0), 0)
  return {subject: subject?.text ?? null, body: body.text, redactions}
}

export interface NewMessageRow extends Omit<MessageRow, 'seq' | 'delivered_at' | 'delivered_session' | 'acked_at'> {
  from_key_id: string | null
  to_machine: string | null
  to_session: string | null
}

/** The row for a new message (subject and body from redactMessage); a reply joins its parent's thread. */
export function newMessageRow(input: NewMessage, redacted: {subject: string | null; body: string}, parent: AgentMessage | undefined, now: Date): NewMessageRow {
  const id = randomUUID()
  return {
    id,
    from_agent: input.from.agent,
    from_machine: input.from.machine ? redactText(input.from.machine) : null,
    from_harness: input.from.harness ? redactText(input.from.harness) : null,
    from_session: input.from.session ?? null,
    from_key_id: input.from.keyId ?? null,
    to_address: input.to.address,
    to_agent: input.to.agent,
    to_machine: input.to.machine ?? null,
    to_session: input.to.session ?? null,
    kind: input.kind,
    subject: redacted.subject,
    body: redacted.body,
    reply_to: parent?.id ?? null,
    // A new message starts a thread named after itself.
    thread: parent?.thread ?? id,
    project: input.project ? redactText(input.project) : null,
    created_at: now.toISOString(),
  }
}

// A message narrowed to a machine or a session is only for that one; an agent-wide one is for any of them.
const UNREAD_FOR_SESSION = `SELECT * FROM agent_messages INDEXED BY agent_messages_unread
  WHERE to_agent = @agent AND delivered_at IS NULL
    AND (to_machine IS NULL OR to_machine = @machine)
    AND (to_session IS NULL OR to_session = @session)
  ORDER BY seq LIMIT @limit`

/**
 * Messages between agents and their event log: the only code that writes those tables. Subject and
 * body are redacted before they are stored, so a key pasted into a message never lands in the database
 * or in another agent's prompt.
 */
export class AgentMessageStore {
  private readonly unreadStatement
  private readonly insertStatement
  private readonly eventStatement
  private readonly getStatement
  private readonly deliverStatement

  constructor(private readonly db: SqliteDatabase) {
    this.unreadStatement = db.prepare(UNREAD_FOR_SESSION)
    this.insertStatement =
      db.prepare(`INSERT INTO agent_messages (id, from_agent, from_machine, from_harness, from_session, from_key_id, to_address, to_agent, to_machine, to_session,
        kind, subject, body, reply_to, thread, project, created_at)
      VALUES (@id, @from_agent, @from_machine, @from_harness, @from_session, @from_key_id, @to_address, @to_agent, @to_machine, @to_session,
        @kind, @subject, @body, @reply_to, @thread, @project, @created_at)`)
    this.eventStatement = db.prepare('INSERT INTO agent_events (at, type, message_id, to_agent, from_agent) VALUES (?, ?, ?, ?, ?)')
    this.getStatement = db.prepare('SELECT * FROM agent_messages WHERE id = ?')
    this.deliverStatement = db.prepare('UPDATE agent_messages SET delivered_at = ?, delivered_session = ? WHERE id = ? AND delivered_at IS NULL')
  }

  get(id: string): AgentMessage | undefined {
    const row = this.getStatement.get(id) as MessageRow | undefined
    return row ? rowToMessage(row) : undefined
  }

  /** Store a message (redacted) and its `message` event; returns both and how many secrets were masked. */
  send(input: NewMessage, now = new Date()): {message: AgentMessage; event: AgentEvent; redactions: number} {
    const redacted = redactMessage(input)
    return this.db
      .transaction(() => {
        const parent = input.replyTo ? this.get(input.replyTo) : undefined
        const row = newMessageRow(input, redacted, parent, now)
        this.insertStatement.run(row)
        const message = this.get(row.id)!
        return {message, event: this.recordEvent('message', message, now), redactions: redacted.redactions}
      })
      .immediate()
  }

  /** Unread messages for one session of an agent, oldest first. One index probe when there are none. */
  unreadFor(agent: string, where: {machine?: string | null; session?: string | null}, limit = 50): AgentMessage[] {
    const rows = this.unreadStatement.all({agent, machine: where.machine ?? null, session: where.session ?? null, limit}) as MessageRow[]
    return rows.map(rowToMessage)
  }

  /** Mark shown messages delivered (only those still pending: two sessions racing deliver each message once). */
  markDelivered(ids: readonly string[], session: string | null, now = new Date()): AgentEvent[] {
    if (ids.length === 0) return []
    return this.db
      .transaction(() => {
        const events: AgentEvent[] = []
        for (const id of ids) {
          if (this.deliverStatement.run(now.toISOString(), session, id).changes === 0) continue
          events.push(this.recordEvent('delivered', this.get(id)!, now))
        }
        return events
      })
      .immediate()
  }

  /**
   * Take the unread messages for a session and mark them delivered in one transaction, so two
   * prompts of the same agent arriving together never both show a message. `select` picks the ones
   * that fit the caller's budget; the rest stay pending.
   */
  claimUnread(
    agent: string,
    where: {machine?: string | null; session?: string | null},
    select: (unread: AgentMessage[]) => AgentMessage[],
    now = new Date(),
  ): {shown: AgentMessage[]; events: AgentEvent[]; deferred: number} {
    return this.db
      .transaction(() => {
        const unread = this.unreadFor(agent, where)
        const shown = select(unread)
        const events = this.markDelivered(
          shown.map((message) => message.id),
          where.session ?? null,
          now,
        )
        return {shown, events, deferred: unread.length - shown.length}
      })
      .immediate()
  }

  /** Ack a message; acking twice keeps the first time. Returns the event when this call acked it. */
  ack(id: string, now = new Date()): {message: AgentMessage; event?: AgentEvent} | undefined {
    return this.db
      .transaction(() => {
        const existing = this.get(id)
        if (!existing) return undefined
        if (existing.ackedAt) return {message: existing}
        const at = now.toISOString()
        this.db.prepare('UPDATE agent_messages SET acked_at = ?, delivered_at = coalesce(delivered_at, ?) WHERE id = ?').run(at, at, id)
        const message = this.get(id)!
        return {message, event: this.recordEvent('acked', message, now)}
      })
      .immediate()
  }

  /** An agent's inbox (`in`) or what it sent (`sent`), newest first. */
  list(
    agent: string,
    options: {box?: 'in' | 'sent'; state?: MessageState | 'unacked' | 'all'; thread?: string; limit?: number; before?: number} = {},
  ): AgentMessage[] {
    const where = [options.box === 'sent' ? 'from_agent = ?' : 'to_agent = ?']
    const params: unknown[] = [agent]
    const state = MESSAGE_STATE_CONDITION[options.state ?? 'all']
    if (state) where.push(state)
    if (options.thread) {
      where.push('thread = ?')
      params.push(options.thread)
    }
    params.push(options.limit ?? 50)
    const rows = this.db.prepare(`SELECT * FROM agent_messages WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...params) as MessageRow[]
    return rows.map(rowToMessage)
  }

  /** Events that concern an agent (to it, or about what it sent) after `afterSeq`, oldest first. */
  eventsFor(agent: string, afterSeq: number, limit = 500): AgentEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM agent_events WHERE seq > ? AND (to_agent = ? OR from_agent = ?) ORDER BY seq LIMIT ?')
      .all(afterSeq, agent, agent, limit) as EventRow[]
    return rows.map(rowToEvent)
  }

  lastEventSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM agent_events').get() as {seq: number}).seq
  }

  private recordEvent(type: AgentEventType, message: AgentMessage, now: Date): AgentEvent {
    const at = now.toISOString()
    const result = this.eventStatement.run(at, type, message.id, message.toAgent, message.from.agent)
    return {seq: Number(result.lastInsertRowid), at, type, messageId: message.id, toAgent: message.toAgent, fromAgent: message.from.agent}
  }
}
