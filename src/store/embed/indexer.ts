import type {SqliteDatabase} from '../db.js'
import {BackgroundEmbeddingLoop, type IndexerLogger} from './background-loop.js'
import type {Embedder} from './embedder.js'
import {type PendingMemory, VectorIndex} from './vector-index.js'

export interface EmbeddingStatus {
  provider: string
  model: string
  dimensions: number | null
  indexed: number
  pending: number
  /** The last failure talking to the embedder, cleared by the next success. */
  lastError: string | null
}

export interface BackfillProgress {
  done: number
  total: number
  failed: number
}

const IDLE_POLL_MS = 250

/**
 * Keeps vectors in step with memories: embeds new memories (and ones whose content
 * changed) in small batches in the background, so `remember` never waits for an embedder.
 * Memories stored before a provider was configured are picked up the same way (backfill).
 */
export class EmbeddingIndexer {
  readonly index: VectorIndex
  private cursor = 0
  private readonly loop: BackgroundEmbeddingLoop
  private lastError: string | null = null

  constructor(
    private readonly db: SqliteDatabase,
    readonly embedder: Embedder,
    logger?: IndexerLogger,
    private readonly batchSize = embedder.embedSync ? 256 : 32,
  ) {
    this.index = new VectorIndex(db, embedder)
    this.loop = new BackgroundEmbeddingLoop({idleMs: IDLE_POLL_MS, runBatch: () => this.runBatch(), provider: embedder.provider, logger})
  }

  start(): void {
    this.loop.start()
  }

  async stop(): Promise<void> {
    await this.loop.stop()
  }

  /** Embed one batch of pending memories; returns how many got a vector. Throws on embedder failure. */
  async runBatch(): Promise<number> {
    const stale = this.takeStale()
    const wanted = this.batchSize - stale.length
    // One read snapshot, so "nothing more after seq N" cannot miss a row written in between.
    const {fresh, maxSeq} = this.db.transaction(() => ({
      fresh: this.index.pending(wanted, this.cursor),
      maxSeq: (this.db.prepare('SELECT coalesce(max(seq), 0) AS n FROM memories').get() as {n: number}).n,
    }))()
    const nextCursor = fresh.length < wanted ? maxSeq : fresh[fresh.length - 1].seq
    const batch = [...stale, ...fresh]
    if (batch.length === 0) {
      this.cursor = nextCursor
      return 0
    }
    let vectors: Float32Array[]
    try {
      vectors = this.embedder.embedSync
        ? this.embedder.embedSync(batch.map((memory) => memory.content))
        : await this.embedder.embed(batch.map((memory) => memory.content))
      this.lastError = null
    } catch (error) {
      this.lastError = (error as Error).message
      // Put changed memories back so they are retried.
      const requeue = this.db.prepare('INSERT OR IGNORE INTO memory_vector_stale(seq) VALUES (?)')
      for (const memory of stale) requeue.run(memory.seq)
      throw error
    }
    this.index.store(batch.map((memory, i) => ({memory, vector: vectors[i]})))
    this.cursor = Math.max(this.cursor, nextCursor)
    return batch.length
  }

  /** Memories whose content changed since they were embedded (a trigger queues them). */
  private takeStale(): PendingMemory[] {
    if (!this.db.prepare('SELECT 1 FROM memory_vector_stale LIMIT 1').get()) return []
    const queued = this.db.prepare('SELECT seq FROM memory_vector_stale LIMIT ?').all(Math.max(1, Math.floor(this.batchSize / 4))) as Array<{seq: number}>
    const seqs = JSON.stringify(queued.map((row) => row.seq))
    const rows = this.db
      .prepare(
        `SELECT m.seq, m.agent_id AS agentId, m.content, m.content_hash AS contentHash
         FROM memories m WHERE m.seq IN (SELECT value FROM json_each(?)) AND m.deleted_at IS NULL`,
      )
      .all(seqs) as PendingMemory[]
    // Taken off the queue whether live or deleted: deleted memories need no vector.
    this.db.prepare('DELETE FROM memory_vector_stale WHERE seq IN (SELECT value FROM json_each(?))').run(seqs)
    return rows
  }

  /**
   * Embed everything still missing, from the first memory on, reporting progress after each
   * batch. Used by `signet embed backfill` and the bench; stops early when `signal` aborts.
   */
  async backfill(onProgress?: (progress: BackfillProgress) => void, signal?: AbortSignal): Promise<BackfillProgress> {
    const total = this.index.counts().pending
    const progress: BackfillProgress = {done: 0, total, failed: 0}
    onProgress?.({...progress})
    let cursor = 0
    while (!signal?.aborted) {
      const batch = this.index.pending(this.batchSize, cursor)
      if (batch.length === 0) break
      cursor = batch[batch.length - 1].seq
      const vectors = this.embedder.embedSync
        ? this.embedder.embedSync(batch.map((memory) => memory.content))
        : await this.embedder.embed(
            batch.map((memory) => memory.content),
            {signal},
          )
      this.index.store(batch.map((memory, i) => ({memory, vector: vectors[i]})))
      progress.done += batch.length
      onProgress?.({...progress})
    }
    return progress
  }

  status(): EmbeddingStatus {
    const {indexed, pending} = this.index.counts()
    return {
      provider: this.embedder.provider,
      model: this.embedder.model,
      dimensions: this.embedder.dimensions ?? null,
      indexed,
      pending,
      lastError: this.lastError,
    }
  }
}
