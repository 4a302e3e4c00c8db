import type {SqliteDatabase} from './db.js'

/** What one user prompt was given: the memories injected (with score and why) and the agent messages delivered. */
export interface PromptReceipt {
  at: string
  memories: Array<{id: string; score: number | null; why: unknown}>
  messageIds: string[]
  elapsedMs: number
}

export interface ReceiptRow {
  at: string
  memory_ids: string
  scores: string
  why: string
  message_ids: string
  elapsed_ms: number
}

/** A receipt as stored: parallel JSON lists of memory ids, scores and whys. */
export function receiptRow(receipt: PromptReceipt): ReceiptRow {
  return {
    at: receipt.at,
    memory_ids: JSON.stringify(receipt.memories.map((memory) => memory.id)),
    scores: JSON.stringify(receipt.memories.map((memory) => memory.score)),
    why: JSON.stringify(receipt.memories.map((memory) => memory.why ?? null)),
    message_ids: JSON.stringify(receipt.messageIds),
    elapsed_ms: receipt.elapsedMs,
  }
}

export function rowToReceipt(row: ReceiptRow): PromptReceipt {
  const ids = JSON.parse(row.memory_ids) as string[]
  const scores = JSON.parse(row.scores) as Array<number | null>
  const why = JSON.parse(row.why) as unknown[]
  return {
    at: row.at,
    memories: ids.map((id, index) => ({id, score: scores[index] ?? null, why: why[index] ?? null})),
    messageIds: JSON.parse(row.message_ids) as string[],
    elapsedMs: row.elapsed_ms,
  }
}

export class PromptReceipts {
  constructor(private readonly db: SqliteDatabase) {}

  record(agentId: string, sessionKey: string, receipt: PromptReceipt): void {
    this.db
      .prepare(
        `INSERT INTO prompt_receipts (agent_id, session_key, at, memory_ids, scores, why, message_ids, elapsed_ms)
        VALUES (@agent_id, @session_key, @at, @memory_ids, @scores, @why, @message_ids, @elapsed_ms)`,
      )
      .run({agent_id: agentId, session_key: sessionKey, ...receiptRow(receipt)})
  }

  /** A session's receipts, oldest turn first. */
  forSession(agentId: string, sessionKey: string, limit = 500): PromptReceipt[] {
    const rows = this.db
      .prepare('SELECT at, memory_ids, scores, why, message_ids, elapsed_ms FROM prompt_receipts WHERE agent_id = ? AND session_key = ? ORDER BY seq LIMIT ?')
      .all(agentId, sessionKey, limit) as ReceiptRow[]
    return rows.map(rowToReceipt)
  }
}
