import type {SqliteDatabase} from '../db.js'
import type {MemorySearchOptions} from '../search.js'
import {DEFAULT_PROMPT_TIMEOUT_MS} from './embedder.js'
import {EmbeddingIndexer, type IndexerLogger} from './indexer.js'
import {createEmbedder, type EmbeddingSettings} from './providers.js'

export interface EmbeddingRuntime {
  /** Absent when embedding.provider is none. */
  indexer: EmbeddingIndexer | undefined
  /** Pass to `new MemorySearch(db, …)`. */
  searchOptions: MemorySearchOptions
  stop(): Promise<void>
}

/**
 * The daemon's embedding side: the configured embedder, its vector index, and the background
 * indexer that keeps vectors in step with memories (including ones stored before the
 * provider was configured).
 */
export function startEmbedding(db: SqliteDatabase, settings: Partial<EmbeddingSettings> | undefined, logger?: IndexerLogger): EmbeddingRuntime {
  const embedder = createEmbedder(settings)
  const promptTimeoutMs = settings?.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS
  if (!embedder) return {indexer: undefined, searchOptions: {promptTimeoutMs}, stop: async () => {}}
  const indexer = new EmbeddingIndexer(db, embedder, logger)
  indexer.start()
  logger?.info('embedding enabled', {provider: embedder.provider, model: embedder.model})
  return {indexer, searchOptions: {vectors: indexer.index, promptTimeoutMs}, stop: () => indexer.stop()}
}
