import * as sqliteVec from 'sqlite-vec'
import type {Statement} from 'better-sqlite3'

import type {SqliteDatabase} from '../db.js'
import {type Embedder, embeddingSpaceKey} from './embedder.js'

export interface VectorHit {
  seq: number
  /** Cosine similarity, -1..1. */
  similarity: number
}

export interface PendingMemory {
  seq: number
  agentId: string
  content: string
  contentHash: string
}

const loadedConnections = new WeakSet<SqliteDatabase>()

/** sqlite-vec is loaded per connection, once. */
export function loadSqliteVec(db: SqliteDatabase): void {
  if (loadedConnections.has(db)) return
  sqliteVec.load(db)
  loadedConnections.add(db)
}

/**
 * Vectors of one embedding space (provider + model) in a sqlite-vec `vec0` table partitioned
 * by agent, plus a state table recording which memory content each vector was made from.
 * The table is created on first use, when the dimensions are known.
 */
export class VectorIndex {
  private spaceId: number | undefined
  private table: string | undefined
  private dims: number | undefined
  private nearestStatement: Statement<unknown[]> | undefined

  constructor(
    private readonly db: SqliteDatabase,
    readonly embedder: Embedder,
  ) {
    loadSqliteVec(db)
    const row = db.prepare('SELECT id, dimensions FROM embedding_spaces WHERE key = ?').get(embeddingSpaceKey(embedder)) as
      {id: number; dimensions: number} | undefined
    if (row) this.attach(row.id, row.dimensions)
  }

  get spaceKey(): string {
    return embeddingSpaceKey(this.embedder)
  }

  /** Dimensions of the stored vectors, once any exist. */
  get dimensions(): number | undefined {
    return this.dims
  }

  /** True once at least one vector exists in this space. */
  get ready(): boolean {
    return this.table !== undefined
  }

  private attach(id: number, dims: number): void {
    this.spaceId = id
    this.dims = dims
    this.table = `memory_vectors_${id}`
  }

  private ensureSpace(dims: number): void {
    if (this.table) {
      if (dims !== this.dims) {
        throw new Error(`embedding model ${this.spaceKey} now returns ${dims} dimensions, stored vectors have ${this.dims}`)
      }
      return
    }
    this.db
      .transaction(() => {
        const existing = this.db.prepare('SELECT id, dimensions FROM embedding_spaces WHERE key = ?').get(this.spaceKey) as
          {id: number; dimensions: number} | undefined
        const id =
          existing?.id ??
          Number(
            this.db
              .prepare('INSERT INTO embedding_spaces (key, provider, model, dimensions, created_at) VALUES (?, ?, ?, ?, ?)')
              .run(this.spaceKey, this.embedder.provider, this.embedder.model, dims, new Date().toISOString()).lastInsertRowid,
          )
        this.db.exec(
          `CREATE VIRTUAL TABLE IF NOT EXISTS memory_vectors_${id} USING vec0(agent_id text partition key, embedding float[${dims}] distance_metric=cosine)`,
        )
        this.attach(id, existing?.dimensions ?? dims)
      })
      .immediate()
  }

  /** Memories without a vector for their current content, oldest first, after `afterSeq`. */
  pending(limit: number, afterSeq = 0): PendingMemory[] {
    const rows = this.db
      .prepare(
        `SELECT m.seq, m.agent_id AS agentId, m.content, m.content_hash AS contentHash
         FROM memories m LEFT JOIN memory_vector_state s ON s.space_id = @space AND s.seq = m.seq
         WHERE m.seq > @after AND m.deleted_at IS NULL AND (s.seq IS NULL OR s.content_hash <> m.content_hash)
         ORDER BY m.seq LIMIT @limit`,
      )
      .all({space: this.spaceId ?? -1, after: afterSeq, limit}) as PendingMemory[]
    return rows
  }

  /** How many live memories have (and lack) a vector for their current content. */
  counts(): {indexed: number; pending: number} {
    const total = (this.db.prepare('SELECT count(*) AS n FROM memories WHERE deleted_at IS NULL').get() as {n: number}).n
    if (this.spaceId === undefined) return {indexed: 0, pending: total}
    const indexed = (
      this.db
        .prepare(
          `SELECT count(*) AS n FROM memories m JOIN memory_vector_state s ON s.space_id = ? AND s.seq = m.seq
           WHERE m.deleted_at IS NULL AND s.content_hash = m.content_hash`,
        )
        .get(this.spaceId) as {n: number}
    ).n
    return {indexed, pending: total - indexed}
  }

  /** Store vectors for memories (replacing older ones for the same memory) in one transaction. */
  store(items: Array<{memory: PendingMemory; vector: Float32Array}>): void {
    if (items.length === 0) return
    this.ensureSpace(items[0].vector.length)
    const table = this.table as string
    const remove = this.db.prepare(`DELETE FROM ${table} WHERE rowid = ?`)
    const insert = this.db.prepare(`INSERT INTO ${table} (rowid, agent_id, embedding) VALUES (?, ?, ?)`)
    const state = this.db.prepare(
      `INSERT INTO memory_vector_state (space_id, seq, content_hash, embedded_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (space_id, seq) DO UPDATE SET content_hash = excluded.content_hash, embedded_at = excluded.embedded_at`,
    )
    const now = new Date().toISOString()
    this.db
      .transaction(() => {
        for (const {memory, vector} of items) {
          const rowid = BigInt(memory.seq)
          remove.run(rowid)
          insert.run(rowid, memory.agentId, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength))
          state.run(this.spaceId, memory.seq, memory.contentHash, now)
        }
      })
      .immediate()
  }

  /** Nearest memories of one agent by cosine similarity (deleted ones included: callers filter). */
  nearest(vector: Float32Array, agentId: string, k: number): VectorHit[] {
    if (!this.table || vector.length !== this.dims) return []
    this.nearestStatement ??= this.db.prepare(`SELECT rowid AS seq, distance FROM ${this.table} WHERE embedding MATCH ? AND k = ? AND agent_id = ?`)
    const rows = this.nearestStatement.all(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), k, agentId) as Array<{
      seq: number
      distance: number
    }>
    return rows.map((row) => ({seq: row.seq, similarity: 1 - row.distance}))
  }
}
