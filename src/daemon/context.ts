import type {HttpBindings} from '@hono/node-server'

import type {AgentConfig} from '../config/agent-config.js'
import type {ListenSettings} from '../config/network.js'
import type {WorkspacePaths} from '../config/paths.js'
import type {SourceStore} from '../store/sources.js'
import type {Storage} from '../store/storage.js'
import type {Principal} from './auth/principal.js'
import type {DaemonLogger} from './logger.js'

/** Everything a route needs, built once at start and shared by all requests. */
export interface DaemonContext {
  workspace: string
  paths: WorkspacePaths
  config: AgentConfig
  listen: ListenSettings
  /**
   * Everything the daemon stores, behind the storage seam (docs/architecture.md, "Storage"): routes
   * call its async repositories and never see a database handle, SQL or a transaction.
   */
  storage: Storage
  /**
   * Indexed folders (workspace-wide); one instance so scans of a source never overlap. Sources index
   * this machine's folders, so they stay in the workspace's local SQLite file whatever the backend.
   */
  sources: SourceStore
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
