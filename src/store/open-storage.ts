import type {AgentConfig} from '../config/agent-config.js'
import type {WorkspacePaths} from '../config/paths.js'
import {resolveStorageSettings, type StorageSettings} from '../config/storage-settings.js'
import type {IndexerLogger} from './embed/background-loop.js'
import type {Storage} from './storage.js'

export interface OpenStorageOptions {
  logger?: IndexerLogger
  /** Keep vectors in step in the background (the daemon); off for one-shot tools. Default true. */
  indexInBackground?: boolean
  /** SQLite: rank recalls on this many worker threads (the daemon; see sqlite/recall-workers.ts). Default 0. */
  recallWorkers?: number
  /** Where SIGNET_DATABASE_URL is read (default process.env). */
  env?: NodeJS.ProcessEnv
}

/**
 * Open the storage agent.yaml asks for: SQLite at the workspace's `memory/memories.db` (the default),
 * or PostgreSQL at storage.url / SIGNET_DATABASE_URL. Each backend is loaded only when chosen, so a
 * SQLite daemon never loads the PostgreSQL client and the other way round. Configuration errors
 * (postgres without a URL) are ConfigErrors; an unreachable server is a SignetError naming it
 * without its password.
 */
export async function openStorage(config: AgentConfig, paths: Pick<WorkspacePaths, 'dbPath'>, options: OpenStorageOptions = {}): Promise<Storage> {
  const settings = resolveStorageSettings(config, options.env)
  const presence = {idleAfterMs: config.agents.idleAfterMs, offlineAfterMs: config.agents.offlineAfterMs}
  if (settings.backend === 'postgres') {
    const {openPostgresStorage} = await import('./postgres/storage.js')
    options.logger?.info('storage: PostgreSQL', {url: settings.redactedUrl, poolSize: settings.poolSize, urlFrom: settings.urlSource})
    return openPostgresStorage({
      url: settings.url!,
      poolSize: settings.poolSize,
      embedding: config.embedding,
      presence,
      logger: options.logger,
      indexInBackground: options.indexInBackground,
    })
  }
  const {openSqliteStorage} = await import('./sqlite/storage.js')
  return openSqliteStorage(paths.dbPath, {
    embedding: config.embedding,
    presence,
    logger: options.logger,
    indexInBackground: options.indexInBackground,
    recallWorkers: options.recallWorkers,
  })
}

/** What status and doctor may print about where the data lives: never a password. */
export function describeStorage(settings: StorageSettings, paths: Pick<WorkspacePaths, 'dbPath'>): string {
  return settings.backend === 'postgres' ? `PostgreSQL ${settings.redactedUrl}` : `SQLite ${paths.dbPath}`
}
