import {type Embedder, embeddingSpaceKey} from '../embed/embedder.js'
import {BackgroundEmbeddingLoop, type IndexerLogger} from '../embed/background-loop.js'
import type {BackfillProgress, EmbeddingStatus} from '../embed/indexer.js'
import type {PendingMemory, VectorHit} from '../embed/vector-index.js'
import type {VectorRepository} from '../storage.js'
import {execute, inTransaction, type Pool, query, queryOne} from './client.js'

/** Is the pgvector extension installed in this database (or installable, and now installed)? */
export async function ensurePgvector(pool: Pool): Promise<{available: boolean; reason?: string}> {
  const installed = await queryOne(pool, "SELECT 1 FROM pg_extension WHERE extname = 'vector'")
  if (installed) return {available: true}
  try {
    await execute(pool, 'CREATE EXTENSION IF NOT EXISTS vector')
    return {available: true}
  } catch (error) {
    // Not installed on the server (no package), or no privilege to create it: recall stays lexical.
    return {available: false, reason: (error as Error).message}
  }
}

const IDLE_POLL_MS = 1000

/**
 * Vectors of one embedding space in a pgvector table per space (`memory_vectors_<id>`), with
 * memory_vector_state recording which content each vector was made from, as the SQLite
 * VectorIndex does with sqlite-vec. Nearest neighbours are an exact cosine scan of one agent's
 * vectors (like sqlite-vec's), so a filter never hides a closer match.
 *
 * It also keeps vectors in step in the background (start/stop), like SQLite's EmbeddingIndexer.
 * Each daemon runs its own loop: changed memories are taken off the shared queue with SKIP
 * LOCKED, so daemons split them; new ones may be embedded twice when two daemons look at the
 * same moment, which costs an embedding, never a wrong vector (stores are upserts).
 */
export class PgvectorIndex implements VectorRepository {
  private space: {id: number; dims: number; table: string} | undefined
  private cursor = 0
  private readonly loop: BackgroundEmbeddingLoop
  private lastError: string | null = null

  constructor(
    private readonly pool: Pool,
    readonly embedder: Embedder,
    logger?: IndexerLogger,
    private readonly batchSize = embedder.embedSync ? 256 : 32,
  ) {
    this.loop = new BackgroundEmbeddingLoop({idleMs: IDLE_POLL_MS, runBatch: () => this.runBatch(), provider: embedder.provider, logger})
  }

  start(): void {
    this.loop.start()
  }

  async stop(): Promise<void> {
    await this.loop.stop()
  }

  async status(): Promise<EmbeddingStatus> {
    const {indexed, pending} = await this.counts()
    return {
      provider: this.embedder.provider,
      model: this.embedder.model,
      dimensions: (await this.dimensions()) ?? this.embedder.dimensions ?? null,
      indexed,
      pending,
      lastError: this.lastError,
    }
  }

  /** Embed everything still missing, from the first memory on; stops early when `signal` aborts. */
  async backfill(onProgress?: (progress: BackfillProgress) => void, signal?: AbortSignal): Promise<BackfillProgress> {
    const progress: BackfillProgress = {done: 0, total: (await this.counts()).pending, failed: 0}
    onProgress?.({...progress})
    let cursor = 0
    while (!signal?.aborted) {
      const batch = await this.pending(this.batchSize, cursor)
      if (batch.length === 0) break
      cursor = batch[batch.length - 1].seq
      await this.store(await this.embed(batch, signal))
      progress.done += batch.length
      onProgress?.({...progress})
    }
    return progress
  }

  /** Embed one batch: changed memories first (taken off the shared queue), then new ones after the cursor. */
  async runBatch(): Promise<number> {
    const stale = await query<PendingMemory>(
      this.pool,
      `WITH taken AS (
          DELETE FROM memory_vector_stale WHERE seq IN (SELECT seq FROM memory_vector_stale LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING seq
        )
        SELECT m.seq, m.agent_id AS "agentId", m.content, m.content_hash AS "contentHash" FROM memories m JOIN taken t ON t.seq = m.seq WHERE m.deleted_at IS NULL`,
      [Math.max(1, Math.floor(this.batchSize / 4))],
    )
    const fresh = await this.pending(this.batchSize - stale.length, this.cursor)
    const batch = [...stale, ...fresh]
    if (batch.length === 0) return 0
    try {
      await this.store(await this.embed(batch))
    } catch (error) {
      // Changed memories go back on the queue to be tried again.
      if (stale.length > 0)
        await execute(this.pool, 'INSERT INTO memory_vector_stale (seq) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [
          stale.map((memory) => memory.seq),
        ])
      throw error
    }
    if (fresh.length > 0) this.cursor = Math.max(this.cursor, fresh[fresh.length - 1].seq)
    return batch.length
  }

  private async embed(batch: PendingMemory[], signal?: AbortSignal): Promise<Array<{memory: PendingMemory; vector: Float32Array}>> {
    try {
      const texts = batch.map((memory) => memory.content)
      const vectors = this.embedder.embedSync ? this.embedder.embedSync(texts) : await this.embedder.embed(texts, {signal})
      this.lastError = null
      return batch.map((memory, index) => ({memory, vector: vectors[index]}))
    } catch (error) {
      this.lastError = (error as Error).message
      throw error
    }
  }

  get spaceKey(): string {
    return embeddingSpaceKey(this.embedder)
  }

  async ready(): Promise<boolean> {
    return (await this.attach()) !== undefined
  }

  async dimensions(): Promise<number | undefined> {
    return (await this.attach())?.dims
  }

  async pending(limit: number, afterSeq = 0): Promise<PendingMemory[]> {
    const space = await this.attach()
    return query<PendingMemory>(
      this.pool,
      `SELECT m.seq, m.agent_id AS "agentId", m.content, m.content_hash AS "contentHash"
        FROM memories m LEFT JOIN memory_vector_state s ON s.space_id = $1 AND s.seq = m.seq
        WHERE m.seq > $2 AND m.deleted_at IS NULL AND (s.seq IS NULL OR s.content_hash <> m.content_hash)
        ORDER BY m.seq LIMIT $3`,
      [space?.id ?? -1, afterSeq, limit],
    )
  }

  async counts(): Promise<{indexed: number; pending: number}> {
    const total = (await queryOne<{n: number}>(this.pool, 'SELECT count(*) AS n FROM memories WHERE deleted_at IS NULL'))?.n ?? 0
    const space = await this.attach()
    if (!space) return {indexed: 0, pending: total}
    const indexed =
      (
        await queryOne<{n: number}>(
          this.pool,
          'SELECT count(*) AS n FROM memories m JOIN memory_vector_state s ON s.space_id = $1 AND s.seq = m.seq WHERE m.deleted_at IS NULL AND s.content_hash = m.content_hash',
          [space.id],
        )
      )?.n ?? 0
    return {indexed, pending: total - indexed}
  }

  async store(items: Array<{memory: PendingMemory; vector: Float32Array}>): Promise<void> {
    if (items.length === 0) return
    const space = await this.ensureSpace(items[0].vector.length)
    const now = new Date().toISOString()
    await inTransaction(this.pool, async (client) => {
      for (const {memory, vector} of items) {
        await execute(
          client,
          `INSERT INTO ${space.table} (seq, agent_id, embedding) VALUES ($1, $2, $3::vector)
            ON CONFLICT (seq) DO UPDATE SET agent_id = excluded.agent_id, embedding = excluded.embedding`,
          [memory.seq, memory.agentId, vectorLiteral(vector)],
        )
        await execute(
          client,
          `INSERT INTO memory_vector_state (space_id, seq, content_hash, embedded_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (space_id, seq) DO UPDATE SET content_hash = excluded.content_hash, embedded_at = excluded.embedded_at`,
          [space.id, memory.seq, memory.contentHash, now],
        )
      }
    })
  }

  /** Nearest memories of one agent by cosine similarity (deleted ones included: callers filter). */
  async nearest(vector: Float32Array, agentId: string, k: number): Promise<VectorHit[]> {
    const space = await this.attach()
    if (!space || vector.length !== space.dims) return []
    const rows = await query<{seq: number; distance: number}>(
      this.pool,
      `SELECT seq, embedding <=> $1::vector AS distance FROM ${space.table} WHERE agent_id = $2 ORDER BY distance LIMIT $3`,
      [vectorLiteral(vector), agentId, k],
    )
    return rows.map((row) => ({seq: row.seq, similarity: 1 - row.distance}))
  }

  /** The space's table once some daemon created it (looked up until then: another daemon may create it). */
  private async attach(): Promise<{id: number; dims: number; table: string} | undefined> {
    if (this.space) return this.space
    const row = await queryOne<{id: number; dimensions: number}>(this.pool, 'SELECT id, dimensions FROM embedding_spaces WHERE key = $1', [this.spaceKey])
    if (row) this.space = {id: row.id, dims: row.dimensions, table: `memory_vectors_${row.id}`}
    return this.space
  }

  private async ensureSpace(dims: number): Promise<{id: number; dims: number; table: string}> {
    const attached = await this.attach()
    if (attached) {
      if (attached.dims !== dims) throw new Error(`embedding model ${this.spaceKey} now returns ${dims} dimensions, stored vectors have ${attached.dims}`)
      return attached
    }
    await inTransaction(this.pool, async (client) => {
      await execute(
        client,
        'INSERT INTO embedding_spaces (key, provider, model, dimensions, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING',
        [this.spaceKey, this.embedder.provider, this.embedder.model, dims, new Date().toISOString()],
      )
      const row = await queryOne<{id: number; dimensions: number}>(client, 'SELECT id, dimensions FROM embedding_spaces WHERE key = $1', [this.spaceKey])
      await execute(
        client,
        `CREATE TABLE IF NOT EXISTS memory_vectors_${Number(row!.id)} (seq bigint PRIMARY KEY, agent_id text COLLATE "C" NOT NULL, embedding vector(${Number(row!.dimensions)}) NOT NULL)`,
      )
      await execute(client, `CREATE INDEX IF NOT EXISTS memory_vectors_${Number(row!.id)}_agent ON memory_vectors_${Number(row!.id)} (agent_id)`)
    })
    this.space = undefined
    return (await this.attach())!
  }
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector, (value) => (Number.isFinite(value) ? value : 0)).join(',')}]`
}
