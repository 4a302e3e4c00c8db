import {randomUUID} from 'node:crypto'

import type {ProjectFilter} from '../memories.js'
import {queryTerms} from '../query-terms.js'
import {searchWords} from '../search-text.js'
import type {TranscriptRepository} from '../storage.js'
import {
  redactTranscriptInput,
  rowToTranscript,
  type SaveTranscriptInput,
  type SavedTranscript,
  squashTranscriptRelevance,
  type TranscriptKind,
  type TranscriptRecord,
  type TranscriptRow,
  type TranscriptSearchHit,
} from '../transcripts.js'
import {formQuery, normaliseForm, tsvectorBm25Sql} from './bm25.js'
import {execute, inTransaction, isUniqueViolation, Params, pgErrorCode, type Pool, type PoolClient, query, queryOne} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'
import {projectConditionPg} from './search-index.js'

const TRANSCRIPT_COLUMNS = 'seq, id, session_key, agent_id, harness, project, kind, content, idempotency_key, created_at'
/** Namespace of the per-session advisory locks (pg_advisory_xact_lock(class, hash)). */
const TRANSCRIPT_LOCK_CLASS = 0x5347_5452
/** N and avgdl for transcript BM25, read live: one row per session, so the count stays small. */
const TRANSCRIPT_STATS = `SELECT greatest(count(*), 1)::float8 AS n, greatest(coalesce(avg(search_tokens), 0), 1e-6)::float8 AS avgdl FROM session_transcripts`
/** Words in an excerpt, as FTS5's snippet(…, 32). */
const EXCERPT_WORDS = 32

/** Session transcripts and summaries on PostgreSQL (the rules of transcripts.ts), searchable by tsvector. */
export class PostgresTranscripts implements TranscriptRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * One `transcript` row per session (a longer copy replaces it, a shorter one is ignored). Saves
   * for one session are serialised by an advisory lock, so two daemons reporting the same
   * conversation keep exactly one row.
   */
  async save(raw: SaveTranscriptInput): Promise<SavedTranscript> {
    const {input, redacted} = redactTranscriptInput(raw)
    const content = input.content
    for (let attempt = 0; ; attempt++) {
      try {
        return await inTransaction(this.pool, async (client): Promise<SavedTranscript> => {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TRANSCRIPT_LOCK_CLASS, JSON.stringify([input.agentId, input.sessionKey])])
          if (input.idempotencyKey) {
            const replay = await queryOne<{id: string}>(
              client,
              "SELECT id FROM session_transcripts WHERE agent_id = $1 AND coalesce(project, '') = $2 AND idempotency_key = $3",
              [input.agentId, input.project ?? '', input.idempotencyKey],
            )
            if (replay) return {id: replay.id, deduped: true, content, redacted}
          }
          if (input.kind === 'transcript') {
            const current = await queryOne<{seq: number; id: string; length: number}>(
              client,
              "SELECT seq, id, length(content) AS length FROM session_transcripts WHERE agent_id = $1 AND session_key = $2 AND kind = 'transcript'",
              [input.agentId, input.sessionKey],
            )
            if (current && current.length > content.length) return {id: current.id, deduped: true, content, redacted}
            if (current) await execute(client, 'DELETE FROM session_transcripts WHERE seq = $1', [current.seq])
          }
          const id = randomUUID()
          await insertTranscript(client, {
            id,
            session_key: input.sessionKey,
            agent_id: input.agentId,
            harness: input.harness ?? null,
            project: input.project ?? null,
            kind: input.kind,
            content,
            idempotency_key: input.idempotencyKey ?? null,
            created_at: new Date().toISOString(),
          })
          return {id, deduped: false, content, redacted}
        })
      } catch (error) {
        // The same idempotency key saved for another session at the same moment: the replay check now finds it.
        if (isUniqueViolation(error) && attempt < 2) continue
        throw error
      }
    }
  }

  async forSession(agentId: string, sessionKey: string): Promise<TranscriptRecord[]> {
    const rows = await query<TranscriptRow>(
      this.pool,
      `SELECT ${TRANSCRIPT_COLUMNS} FROM session_transcripts WHERE agent_id = $1 AND session_key = $2 ORDER BY seq`,
      [agentId, sessionKey],
    )
    return rows.map(rowToTranscript)
  }

  async count(agentId: string, sessionKey: string): Promise<number> {
    return (
      (await queryOne<{n: number}>(this.pool, 'SELECT count(*) AS n FROM session_transcripts WHERE agent_id = $1 AND session_key = $2', [agentId, sessionKey]))
        ?.n ?? 0
    )
  }

  async search(
    search: {query: string; agentId: string; sessionKey?: string; excludeSessionKey?: string; limit: number} & ProjectFilter,
  ): Promise<TranscriptSearchHit[]> {
    const forms = queryTerms(search.query)
      .map((term) => normaliseForm([term]))
      .filter((form): form is string[] => form !== undefined)
    const distinct = [...new Map(forms.map((form) => [form.join(' '), form])).values()]
    const params = new Params()
    const where = [`f.agent_id = ${params.add(search.agentId)}`]
    const inProjects = projectConditionPg(search, 'f.project', params)
    if (inProjects) where.push(inProjects)
    if (search.sessionKey !== undefined) where.push(`f.session_key = ${params.add(search.sessionKey)}`)
    if (search.excludeSessionKey !== undefined) where.push(`f.session_key <> ${params.add(search.excludeSessionKey)}`)
    const ranked = tsvectorBm25Sql({
      table: 'session_transcripts',
      forms: distinct,
      stats: TRANSCRIPT_STATS,
      filter: where.join(' AND '),
      limit: search.limit,
      params,
    })
    if (!ranked) return []
    const match = params.add(distinct.map(formQuery).join(' | '))
    const options = `StartSel=«, StopSel=», MaxWords=${EXCERPT_WORDS}, MinWords=${EXCERPT_WORDS / 2}, MaxFragments=1, FragmentDelimiter=" … "`
    // A text no longer than an excerpt comes whole, as from FTS5's snippet() (a fragment would drop words around the matches).
    const whole = 'StartSel=«, StopSel=», HighlightAll=true'
    const rows = await query<
      Omit<TranscriptRow, 'content' | 'seq' | 'idempotency_key'> & {excerpt: string; relevance: number; content_start: string; content_end: string}
    >(
      this.pool,
      `SELECT t.id, t.session_key, t.agent_id, t.harness, t.project, t.kind, t.created_at, r.relevance,
          ts_headline('${SEARCH_CONFIG}', t.content, to_tsquery('${SEARCH_CONFIG}', ${match}), CASE WHEN t.search_tokens <= ${EXCERPT_WORDS} THEN '${whole}' ELSE '${options}' END) AS excerpt,
          left(t.content, 200) AS content_start, right(t.content, 200) AS content_end
        FROM (${ranked}) r JOIN session_transcripts t ON t.seq = r.seq
        ORDER BY r.relevance DESC, r.seq`,
      params.values,
    )
    return rows.map((row) => ({
      id: row.id,
      sessionKey: row.session_key,
      agentId: row.agent_id,
      harness: row.harness,
      project: row.project,
      kind: row.kind as TranscriptKind,
      updatedAt: row.created_at,
      excerpt: withEllipses(row.excerpt, row.content_start, row.content_end),
      rank: squashTranscriptRelevance(row.relevance),
    }))
  }
}

/** Insert a transcript row with its search vector; a text too large for one tsvector (1 MB) is indexed from its start. */
async function insertTranscript(client: PoolClient, row: Omit<TranscriptRow, 'seq'>): Promise<void> {
  let words = searchWords(row.content)
  for (;;) {
    await client.query('SAVEPOINT transcript_insert')
    try {
      await execute(
        client,
        `INSERT INTO session_transcripts (id, session_key, agent_id, harness, project, kind, content, idempotency_key, created_at, search_tsv, search_tokens)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_tsvector('${SEARCH_CONFIG}', $10), $11)`,
        [
          row.id,
          row.session_key,
          row.agent_id,
          row.harness,
          row.project,
          row.kind,
          row.content,
          row.idempotency_key,
          row.created_at,
          words.join(' '),
          words.length,
        ],
      )
      await client.query('RELEASE SAVEPOINT transcript_insert')
      return
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT transcript_insert')
      // 54000: "string is too long for tsvector". Halve what is indexed until it fits.
      if (pgErrorCode(error) !== '54000' || words.length < 2) throw error
      words = words.slice(0, Math.floor(words.length / 2))
    }
  }
}

/**
 * FTS5's snippet() marks a cut with "…" at either end; ts_headline does not. And where the excerpt
 * reaches the start or the end of the text, snippet() keeps what lies beyond its first or last word
 * (a closing full stop, an opening quote), which ts_headline drops: put that back instead of a "…".
 */
function withEllipses(excerpt: string, start: string, end: string): string {
  const plain = excerpt.replaceAll('«', '').replaceAll('»', '')
  const head = plain.slice(0, 20)
  const tail = plain.slice(-20)
  const NOT_A_WORD = /^[^\p{L}\p{N}]*$/u
  const headAt = start.indexOf(head)
  const before = headAt === -1 ? undefined : start.slice(0, headAt)
  const tailAt = end.lastIndexOf(tail)
  const after = tailAt === -1 ? undefined : end.slice(tailAt + tail.length)
  const prefix = before !== undefined && NOT_A_WORD.test(before) ? before : '…'
  const suffix = after !== undefined && NOT_A_WORD.test(after) ? after : '…'
  return `${prefix}${excerpt}${suffix}`
}
