import {ConfigError} from '../errors.js'
import type {AgentConfig} from './agent-config.js'
import {POSTGRES_URL, redactDatabaseUrl} from './database-url.js'

export type StorageBackendName = AgentConfig['storage']['backend']

export interface StorageSettings {
  backend: StorageBackendName
  /** The PostgreSQL URL (postgres only). Holds the password when there is one: print `redactedUrl`. */
  url?: string
  /** The URL with its password masked, for logs, status and errors. */
  redactedUrl?: string
  /** Where the URL came from. */
  urlSource?: 'SIGNET_DATABASE_URL' | 'agent.yaml'
  poolSize: number
}

/**
 * agent.yaml `storage` with SIGNET_DATABASE_URL applied (it overrides storage.url). A postgres
 * backend without a URL, or a URL that is not a PostgreSQL one, is a ConfigError that names the
 * setting and never echoes a password.
 */
export function resolveStorageSettings(config: Pick<AgentConfig, 'storage'>, env: NodeJS.ProcessEnv = process.env): StorageSettings {
  const {backend, poolSize} = config.storage
  if (backend === 'sqlite') return {backend, poolSize}
  const fromEnv = env.SIGNET_DATABASE_URL?.trim()
  const url = fromEnv || config.storage.url
  if (!url) {
    throw new ConfigError(
      'agent.yaml: storage.backend is postgres but no database URL is set — set storage.url or SIGNET_DATABASE_URL (postgres://user@host:5432/database)',
    )
  }
  if (fromEnv && !POSTGRES_URL.test(fromEnv)) {
    throw new ConfigError(
      `SIGNET_DATABASE_URL = ${JSON.stringify(redactDatabaseUrl(fromEnv))} is not a PostgreSQL URL such as postgres://signet@db.internal:5432/signet`,
    )
  }
  return {backend, poolSize, url, redactedUrl: redactDatabaseUrl(url), urlSource: fromEnv ? 'SIGNET_DATABASE_URL' : 'agent.yaml'}
}
