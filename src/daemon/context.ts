import type {HttpBindings} from '@hono/node-server'

import type {AgentConfig} from '../config/agent-config.js'
import type {ListenSettings} from '../config/network.js'
import type {WorkspacePaths} from '../config/paths.js'
import type {SqliteDatabase} from '../store/db.js'
import type {EmbeddingIndexer} from '../store/embed/indexer.js'
import type {MemoryStore} from '../store/memories.js'
import type {MemorySearch} from '../store/search.js'
import type {SourceStore} from '../store/sources.js'
import type {Principal} from './auth/principal.js'
import type {DaemonLogger} from './logger.js'

/** Everything a route needs, built once at start and shared by all requests. */
export interface DaemonContext {
  workspace: string
  paths: WorkspacePaths
  config: AgentConfig
  listen: ListenSettings
  db: SqliteDatabase
  memories: MemoryStore
  search: MemorySearch
  /** Indexed folders (workspace-wide); one instance so scans of a source never overlap. */
  sources: SourceStore
  /** Background vector indexing; absent when embedding.provider is none. */
  embedding?: EmbeddingIndexer
  logger: DaemonLogger
  startedAt: number
  version: string
  /** Filled in once the server listens (the port may have been 0). */
  url: string
}

export type AppEnv = {
  Bindings: HttpBindings
  Variables: {
    principal: Principal
  }
}
