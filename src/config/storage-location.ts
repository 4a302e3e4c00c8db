import {homedir} from 'node:os'
import path from 'node:path'

import type {AgentConfig} from './agent-config.js'
import {POSTGRES_URL, redactDatabaseUrl} from './database-url.js'
import type {WorkspacePaths} from './paths.js'
import {resolveStorageSettings} from './storage-settings.js'
import {ConfigError} from '../errors.js'

/**
 * Where a store lives, as `signet storage migrate` names its two ends: a SQLite file or a
 * PostgreSQL database. The URL may hold a password: print `describeStorageLocation`, key files
 * with `storageLocationIdentity`, never the URL itself.
 */
export type StorageLocation = {backend: 'sqlite'; path: string} | {backend: 'postgres'; url: string}

/**
 * `--to` / `--from`: `postgres://…` (or `postgresql://…`), `sqlite:<path>` (`sqlite:///abs/path` too)
 * or a plain file path, relative to `cwd`. Anything else with a scheme is refused, naming the flag
 * and never echoing the value (it may be a URL with a password).
 */
export function parseStorageLocation(spec: string, flag: string, cwd = process.cwd()): StorageLocation {
  const value = spec.trim()
  if (value === '')
    throw new ConfigError(`${flag} is empty — give a PostgreSQL URL (postgres://user@host:5432/database) or a SQLite file (sqlite:path or a path)`)
  if (/^postgres(?:ql)?:/i.test(value)) {
    if (!POSTGRES_URL.test(value) || !parsesAsUrl(value))
      throw new ConfigError(`${flag} = ${JSON.stringify(redactDatabaseUrl(value))} is not a PostgreSQL URL such as postgres://signet@db.internal:5432/signet`)
    return {backend: 'postgres', url: value}
  }
  let file = value
  if (/^sqlite:/i.test(file)) file = file.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file))
    throw new ConfigError(`${flag} is neither a PostgreSQL URL (postgres://…) nor a SQLite file (sqlite:path or a path)`)
  if (file === '') throw new ConfigError(`${flag}: sqlite: needs a file path (sqlite:./signet.db)`)
  if (file === '~' || file.startsWith('~/')) file = path.join(homedir(), file.slice(1))
  return {backend: 'sqlite', path: path.resolve(cwd, file)}
}

function parsesAsUrl(value: string): boolean {
  try {
    new URL(value)
    return true
  } catch {
    return false
  }
}

/** The store a workspace's daemon uses (agent.yaml `storage`, SIGNET_DATABASE_URL applied). */
export function configuredStorageLocation(
  config: Pick<AgentConfig, 'storage'>,
  paths: Pick<WorkspacePaths, 'dbPath'>,
  env: NodeJS.ProcessEnv = process.env,
): StorageLocation {
  const settings = resolveStorageSettings(config, env)
  return settings.backend === 'postgres' ? {backend: 'postgres', url: settings.url!} : {backend: 'sqlite', path: paths.dbPath}
}

/** For output: `SQLite /path/memories.db` or `PostgreSQL postgres://signet:***@host/db`. */
export function describeStorageLocation(location: StorageLocation): string {
  return location.backend === 'sqlite' ? `SQLite ${location.path}` : `PostgreSQL ${redactDatabaseUrl(location.url)}`
}

/**
 * What names the store without any secret: the absolute file, or the URL with its password and
 * secret-looking parameters dropped (not masked: two passwords for one database are one store).
 * Two locations with the same identity are the same store.
 */
export function storageLocationIdentity(location: StorageLocation): string {
  if (location.backend === 'sqlite') return `sqlite:${path.resolve(location.path)}`
  // Host names are case-insensitive (URL leaves a postgres: URL's host as written).
  const url = new URL(databaseUrlWithoutPassword(location.url).replace(/^postgresql:/i, 'postgres:'))
  url.hostname = url.hostname.toLowerCase()
  return url.toString()
}

/**
 * The URL with its password removed, for agent.yaml `storage.url` (the password belongs in
 * SIGNET_DATABASE_URL or ~/.pgpass).
 */
export function databaseUrlWithoutPassword(url: string): string {
  const parsed = new URL(url.trim())
  parsed.password = ''
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|sslkey/i.test(key)) parsed.searchParams.delete(key)
  }
  return parsed.toString()
}

/** True when the URL carries a password (in its user part or its query string). */
export function databaseUrlHasPassword(url: string): boolean {
  const parsed = new URL(url.trim())
  return parsed.password !== '' || [...parsed.searchParams.keys()].some((key) => /pass|secret|token|sslkey/i.test(key))
}
