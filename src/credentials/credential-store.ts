import {chmodSync, existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {parseDaemonUrl} from '../client/daemon-url.js'
import {userConfigDir} from '../config/paths.js'
import {writeFileAtomic} from '../connectors/atomic-file.js'
import {keychainDelete, keychainGet, keychainSet, type Keychain, loadKeychain} from './keychain.js'

/**
 * Where a connector's daemon URL and API key live on the harness machine (SPEC §9.3):
 * the key goes to the OS keychain when there is one, else into
 * `~/.config/signet/credentials.json` (mode 0600). The file always records the URL, the agent
 * id and where the key is, so hooks know without probing the keychain (it costs time).
 */

export interface CredentialsFile {
  version: 1
  daemonUrl: string
  agentId?: string
  apiKeyStorage: 'keychain' | 'file' | 'none'
  apiKey?: string
  savedAt: string
}

// Checked by hand, not with zod: every hook reads this file and must start fast (BENCHMARKS B1).
function isCredentialsFile(value: unknown): value is CredentialsFile {
  const record = value as Partial<CredentialsFile> | null
  return Boolean(record) && typeof record === 'object' &&
    record!.version === 1 &&
    typeof record!.daemonUrl === 'string' &&
    (record!.agentId === undefined || typeof record!.agentId === 'string') &&
    ['keychain', 'file', 'none'].includes(record!.apiKeyStorage as string) &&
    (record!.apiKey === undefined || typeof record!.apiKey === 'string')
}

export interface StoredCredentials {
  daemonUrl: string
  apiKey?: string
  agentId?: string
  apiKeyStorage: CredentialsFile['apiKeyStorage']
}

export function credentialsFilePath(): string {
  return path.join(userConfigDir(), 'credentials.json')
}

/** The credentials file, or undefined when missing or unreadable (never throws: hooks call this). */
export function readCredentialsFile(): CredentialsFile | undefined {
  const file = credentialsFilePath()
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return isCredentialsFile(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

/** True when the credentials file is readable by others (it must be 0600). */
export function credentialsFileTooOpen(): boolean {
  const file = credentialsFilePath()
  return existsSync(file) && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0
}

/**
 * Save a connection. The key goes to the keychain when one works, else to the 0600 file;
 * a key saved earlier in the other place is removed so there is only ever one copy.
 */
export async function saveCredentials(
  input: {daemonUrl: string; apiKey?: string; agentId?: string},
  options: {keychain?: Keychain | null} = {},
): Promise<{apiKeyStorage: CredentialsFile['apiKeyStorage']; file: string}> {
  const daemonUrl = parseDaemonUrl(input.daemonUrl, '--url')
  const keychain = options.keychain === undefined ? await loadKeychain() : options.keychain
  const previous = readCredentialsFile()
  let apiKeyStorage: CredentialsFile['apiKeyStorage'] = 'none'
  if (input.apiKey) apiKeyStorage = (await keychainSet(keychain, daemonUrl, input.apiKey)) ? 'keychain' : 'file'
  if (previous?.apiKeyStorage === 'keychain' && (previous.daemonUrl !== daemonUrl || apiKeyStorage !== 'keychain')) {
    await keychainDelete(keychain, previous.daemonUrl)
  }
  const record: CredentialsFile = {
    version: 1,
    daemonUrl,
    ...(input.agentId ? {agentId: input.agentId} : {}),
    apiKeyStorage,
    ...(apiKeyStorage === 'file' ? {apiKey: input.apiKey} : {}),
    savedAt: new Date().toISOString(),
  }
  const file = credentialsFilePath()
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n', {mode: 0o600, dirMode: 0o700})
  chmodSync(file, 0o600)
  return {apiKeyStorage, file}
}

/** The stored connection with its key (from the keychain or the file), or undefined. */
export async function resolveStoredCredentials(options: {keychain?: Keychain | null} = {}): Promise<StoredCredentials | undefined> {
  const record = readCredentialsFile()
  if (!record) return undefined
  let apiKey: string | undefined
  if (record.apiKeyStorage === 'file') apiKey = record.apiKey
  if (record.apiKeyStorage === 'keychain') {
    const keychain = options.keychain === undefined ? await loadKeychain() : options.keychain
    apiKey = await keychainGet(keychain, record.daemonUrl)
  }
  return {daemonUrl: record.daemonUrl, agentId: record.agentId, apiKeyStorage: record.apiKeyStorage, apiKey}
}

/** Forget the stored connection (file and keychain entry). */
export async function clearStoredCredentials(options: {keychain?: Keychain | null} = {}): Promise<boolean> {
  const record = readCredentialsFile()
  if (record?.apiKeyStorage === 'keychain') {
    await keychainDelete(options.keychain === undefined ? await loadKeychain() : options.keychain, record.daemonUrl)
  }
  const file = credentialsFilePath()
  const existed = existsSync(file)
  rmSync(file, {force: true})
  return existed
}

export interface ResolvedCredentials {
  url?: string
  apiKey?: string
  agentId?: string
  source: {url: 'env' | 'stored' | 'none'; apiKey: 'env' | 'keychain' | 'file' | 'none'}
}

/**
 * Run-time resolution for every client (SPEC §9.3): environment first (`SIGNET_DAEMON_URL`,
 * `SIGNET_API_KEY` or its alias `SIGNET_TOKEN`, `SIGNET_AGENT_ID`), then the stored
 * connection. A stored key is only used for the daemon it was saved for.
 */
export async function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
  options: {keychain?: Keychain | null} = {},
): Promise<ResolvedCredentials> {
  const envUrl = env.SIGNET_DAEMON_URL?.trim() ? parseDaemonUrl(env.SIGNET_DAEMON_URL) : undefined
  const envKey = (env.SIGNET_API_KEY || env.SIGNET_TOKEN)?.trim() || undefined
  const envAgent = env.SIGNET_AGENT_ID?.trim() || undefined
  const stored = envKey && envUrl ? undefined : await resolveStoredCredentials(options)
  const storedApplies = stored !== undefined && (envUrl === undefined || envUrl === stored.daemonUrl)
  const url = envUrl ?? stored?.daemonUrl
  const apiKey = envKey ?? (storedApplies ? stored.apiKey : undefined)
  let keySource: ResolvedCredentials['source']['apiKey'] = 'none'
  if (envKey) keySource = 'env'
  else if (apiKey) keySource = stored!.apiKeyStorage === 'keychain' ? 'keychain' : 'file'
  return {
    url,
    apiKey,
    agentId: envAgent ?? (storedApplies ? stored.agentId : undefined),
    source: {url: envUrl ? 'env' : stored ? 'stored' : 'none', apiKey: keySource},
  }
}

export interface StoredConnection {
  daemonUrl: string
  agentId?: string
  /** Present when the key is in the 0600 file. */
  apiKey?: string
  /** Present when the key is in the keychain: looked up on the first request, not before. */
  apiKeyLookup?: () => Promise<string | undefined>
}

/**
 * The stored connection, read synchronously for DaemonClient construction. With `envUrl`
 * (SIGNET_DAEMON_URL) it only applies when it was saved for that same daemon.
 */
export function storedConnectionSync(envUrl?: string): StoredConnection | undefined {
  const record = readCredentialsFile()
  if (!record) return undefined
  if (envUrl?.trim()) {
    try {
      if (parseDaemonUrl(envUrl) !== record.daemonUrl) return undefined
    } catch {
      return undefined
    }
  }
  const connection: StoredConnection = {daemonUrl: record.daemonUrl, agentId: record.agentId}
  if (record.apiKeyStorage === 'file') connection.apiKey = record.apiKey
  if (record.apiKeyStorage === 'keychain') connection.apiKeyLookup = async () => keychainGet(await loadKeychain(), record.daemonUrl)
  return connection
}
