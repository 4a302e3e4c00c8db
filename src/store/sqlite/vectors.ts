import type {EmbeddingIndexer} from '../embed/indexer.js'
import type {VectorRepository} from '../storage.js'

/** sqlite-vec vectors of the configured embedding space, and the background indexer that fills them. */
export class SqliteVectorRepository implements VectorRepository {
  constructor(private readonly indexer: EmbeddingIndexer) {}

  get embedder() {
    return this.indexer.embedder
  }

  get spaceKey() {
    return this.indexer.index.spaceKey
  }

  async ready() {
    return this.indexer.index.ready
  }

  async dimensions() {
    return this.indexer.index.dimensions
  }

  async pending(limit: number, afterSeq?: number) {
    return this.indexer.index.pending(limit, afterSeq)
  }

  async counts() {
    return this.indexer.index.counts()
  }

  async store(items: Parameters<VectorRepository['store']>[0]) {
    this.indexer.index.store(items)
  }

  async nearest(vector: Float32Array, agentId: string, k: number) {
    return this.indexer.index.nearest(vector, agentId, k)
  }

  async status() {
    return this.indexer.status()
  }

  backfill(...args: Parameters<VectorRepository['backfill']>) {
    return this.indexer.backfill(...args)
  }
}
