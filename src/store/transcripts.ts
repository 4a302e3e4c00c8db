import {randomUUID} from 'node:crypto'

import type {SqliteDatabase} from './db.js'
import {type ProjectFilter, projectCondition} from './memories.js'
import {redactSecrets, redactText} from './redaction.js'
import {buildFtsQuery} from './search.js'

/** `transcript`: the session's conversation; `compaction-summary`: a harness's summary at compaction. */
export type TranscriptKind = 'transcript' | 'compaction-summary'

export interface SaveTranscriptInput {
  sessionKey: string
  agentId: string
  harness?: string | null
  project?: string | null
  kind: TranscriptKind
  content: string
  idempotencyKey?: string | null
}

export interface SavedTranscript {
  id: string
  /** Nothing new was written: an idempotent replay, or an older (shorter) copy of a stored transcript. */
  deduped: boolean
  /** The content as stored (secrets redacted), for callers that derive more from it. */
  content: string
  /** How many secrets were redacted, by kind. */
  redacted: Record<string, number>
}

export interface TranscriptRecord {
  id: string
  sessionKey: string
  agentId: string
  harness: string | null
  project: string | null
  kind: TranscriptKind
  content: string
  createdAt: string
}

export interface TranscriptSearchHit {
  id: string
  sessionKey: string
  agentId: string
  harness: string | null
  project: string | null
  kind: TranscriptKind
  updatedAt: string
  excerpt: string
  /** 0..1, higher is better (squashed BM25). */
  rank: number
}

export interface TranscriptRow {
  seq: number
  id: string
  session_key: string
  agent_id: string
  harness: string | null
  project: string | null
  kind: TranscriptKind
  content: string
  idempotency_key: string | null
  created_at: string
}

export function rowToTranscript(row: TranscriptRow): TranscriptRecord {
  return {
    id: row.id,
    sessionKey: row.session_key,
    agentId: row.agent_id,
    harness: row.harness,
    project: row.project,
    kind: row.kind,
    content: row.content,
    createdAt: row.created_at,
  }
}

/** The input as stored: content, project and harness redacted, with what was masked in the content. */
export function redactTranscriptInput(raw: SaveTranscriptInput): {input: SaveTranscriptInput; redacted: Record<string, number>} {
  const {text: content, redacted} = redactSecrets(raw.content)
  return {input: {...raw, content, project: raw.project ? redactText(raw.project) : null, harness: raw.harness ? redactText(raw.harness) : null}, redacted}
}

/** A search hit's relevance (bm25 or its equivalent, higher = better) squashed to 0..1. */
export function squashTranscriptRelevance(relevance: number): number {
  return Math.round((Math.max(0, relevance) / (Math.max(0, relevance) + 3)) * 1000) / 1000
}

/**
 * Session transcripts and summaries (+ FTS5). A session keeps one `transcript` row: harnesses
 * report the same growing conversation at pre-compaction, at every Codex Stop and at session end,
 * so a longer copy replaces the stored one and a shorter (older, replayed) copy is ignored.
 */
export class TranscriptStore {
  private readonly byIdempotencyStatement
  private readonly currentTranscriptStatement
  private readonly insertStatement
  private readonly deleteStatement

  constructor(private readonly db: SqliteDatabase) {
    // Per agent and project, like memories: a key reused in another project is a new write there.
    this.byIdempotencyStatement = db.prepare("SELECT id FROM session_transcripts WHERE agent_id = ? AND ifnull(project, '') = ? AND idempotency_key = ?")
    this.currentTranscriptStatement = db.prepare(
      "SELECT seq, id, length(content) AS length FROM session_transcripts WHERE agent_id = ? AND session_key = ? AND kind = 'transcript'",
    )
    this.insertStatement = db.prepare(`INSERT INTO session_transcripts (id, session_key, agent_id, harness, project, kind, content, idempotency_key, created_at)
      VALUES (@id, @session_key, @agent_id, @harness, @project, @kind, @content, @idempotency_key, @created_at)`)
    this.deleteStatement = db.prepare('DELETE FROM session_transcripts WHERE seq = ?')
  }

  /** Every stored text field (content, project, harness) is redacted here, the table's one way in. */
  save(raw: SaveTranscriptInput): SavedTranscript {
    const {input, redacted} = redactTranscriptInput(raw)
    const content = input.content
    return this.db
      .transaction((): SavedTranscript => {
        if (input.idempotencyKey) {
          const replay = this.byIdempotencyStatement.get(input.agentId, input.project ?? '', input.idempotencyKey) as {id: string} | undefined
          if (replay) return {id: replay.id, deduped: true, content, redacted}
        }
        if (input.kind === 'transcript') {
          const current = this.currentTranscriptStatement.get(input.agentId, input.sessionKey) as {seq: number; id: string; length: number} | undefined
          if (current && current.length > input.content.length) return {id: current.id, deduped: true, content, redacted}
          if (current) this.deleteStatement.run(current.seq)
        }
        const id = randomUUID()
        this.insertStatement.run({
          id,
          session_key: input.sessionKey,
          agent_id: input.agentId,
          harness: input.harness ?? null,
          project: input.project ?? null,
          kind: input.kind,
          content: input.content,
          idempotency_key: input.idempotencyKey ?? null,
          created_at: new Date().toISOString(),
        })
        return {id, deduped: false, content, redacted}
      })
      .immediate()
  }

  forSession(agentId: string, sessionKey: string): TranscriptRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM session_transcripts WHERE agent_id = ? AND session_key = ? ORDER BY seq')
      .all(agentId, sessionKey) as TranscriptRow[]
    return rows.map(rowToTranscript)
  }

  count(agentId: string, sessionKey: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM session_transcripts WHERE agent_id = ? AND session_key = ?').get(agentId, sessionKey) as {n: number}).n
  }

  search(query: {query: string; agentId: string; sessionKey?: string; excludeSessionKey?: string; limit: number} & ProjectFilter): TranscriptSearchHit[] {
    const match = buildFtsQuery(query.query)
    if (!match) return []
    const where = ['session_transcripts_fts MATCH @match', 't.agent_id = @agentId']
    const params: Record<string, unknown> = {match, agentId: query.agentId, limit: query.limit}
    const inProjects = projectCondition(query, 't.project', params)
    if (inProjects) where.push(inProjects)
    if (query.sessionKey !== undefined) {
      where.push('t.session_key = @sessionKey')
      params.sessionKey = query.sessionKey
    }
    if (query.excludeSessionKey !== undefined) {
      where.push('t.session_key != @excludeSessionKey')
      params.excludeSessionKey = query.excludeSessionKey
    }
    const rows = this.db
      .prepare(
        `SELECT t.id, t.session_key, t.agent_id, t.harness, t.project, t.kind, t.created_at,
          snippet(session_transcripts_fts, 0, '«', '»', '…', 32) AS excerpt,
          -bm25(session_transcripts_fts) AS relevance
        FROM session_transcripts_fts JOIN session_transcripts t ON t.seq = session_transcripts_fts.rowid
        WHERE ${where.join(' AND ')}
        ORDER BY relevance DESC LIMIT @limit`,
      )
      .all(params) as Array<Omit<TranscriptRow, 'content' | 'seq' | 'idempotency_key'> & {excerpt: string; relevance: number}>
    return rows.map((row) => ({
      id: row.id,
      sessionKey: row.session_key,
      agentId: row.agent_id,
      harness: row.harness,
      project: row.project,
      kind: row.kind,
      updatedAt: row.created_at,
      excerpt: row.excerpt,
      rank: squashTranscriptRelevance(row.relevance),
    }))
  }
}
