import {chmodSync, existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {parseDaemonUrl} from '../client/daemon-url.js'
import {userConfigDir} from '../config/paths.js'
import {writeFileAtomic} from '../config/atomic-file.js'
import {keychainDelete, keychainGet, keychainSet, type Keychain, loadKeychain} from './keychain.js'

/**
 * Where each connector's daemon URL and API key live on the harness machine. Credentials are
 * kept per harness: every harness connected on this machine has its own entry (and usually its
 * own named key), so connecting a second harness never replaces the first one's key, and
 * revoking one harness's key never breaks another.
 *
 * The key goes to the OS keychain when there is one (one keychain account per harness), else
 * into `~/.config/signet/credentials.json` (mode 0600). The file always records each entry's
 * URL, agent id and where its key is, so hooks know without probing the keychain (it costs time).
 *
 * Files written before credentials were per harness held a single machine-wide entry
 * (`{version: 1, daemonUrl, …}`). It is migrated on first read or write: it becomes the
 * `default` entry, which every harness without an entry of its own keeps using, as before.
 */

export type ApiKeyStorage = 'keychain' | 'file' | 'none'

export interface CredentialEntry {
  daemonUrl: string
  agentId?: string
  apiKeyStorage: ApiKeyStorage
  apiKey?: string
  savedAt: string
}

export interface CredentialsFile {
  version: 2
  /** Machine-wide entry (from a migrated single-entry file): used by harnesses without their own. */
  default?: CredentialEntry
  /** One entry per harness id (`claude-code`, `codex`, …). */
  harnesses: Record<string, CredentialEntry>
}

/** The single-entry shape written before credentials were per harness. */
interface LegacyCredentialsFile extends CredentialEntry {
  version: 1
}

// Checked by hand, not with zod: every hook reads this file and must start fast (the prompt-hook budget B1, bench/README.md).
function isCredentialEntry(value: unknown): value is CredentialEntry {
  const record = value as Partial<CredentialEntry> | null
  return (
    Boolean(record) &&
    typeof record === 'object' &&
    !Array.isArray(record) &&
    typeof record!.daemonUrl === 'string' &&
    (record!.agentId === undefined || typeof record!.agentId === 'string') &&
    ['keychain', 'file', 'none'].includes(record!.apiKeyStorage as string) &&
    (record!.apiKey === undefined || typeof record!.apiKey === 'string')
  )
}

function isLegacyFile(value: unknown): value is LegacyCredentialsFile {
  return isCredentialEntry(value) && (value as {version?: unknown}).version === 1
}

/** A v2 file with every well-formed entry kept (one damaged entry does not cost the others). */
function asCredentialsFile(value: unknown): CredentialsFile | undefined {
  const record = value as {version?: unknown; default?: unknown; harnesses?: unknown} | null
  if (!record || typeof record !== 'object' || record.version !== 2) return undefined
  const harnesses: Record<string, CredentialEntry> = {}
  if (record.harnesses && typeof record.harnesses === 'object' && !Array.isArray(record.harnesses)) {
    for (const [harness, entry] of Object.entries(record.harnesses)) {
      if (HARNESS_NAME.test(harness) && isCredentialEntry(entry)) harnesses[harness] = entry
    }
  }
  return {version: 2, ...(isCredentialEntry(record.default) ? {default: record.default} : {}), harnesses}
}

/** Harness ids are short lowercase words; anything else (`__proto__`, paths…) is never a key here. */
const HARNESS_NAME = /^[a-z][a-z0-9-]{0,31}$/

function checkHarness(harness: string): string {
  if (!HARNESS_NAME.test(harness)) throw new Error(`harness "${harness}" is not a harness id (lowercase letters, digits, '-')`)
  return harness
}

export interface StoredCredentials {
  daemonUrl: string
  apiKey?: string
  agentId?: string
  apiKeyStorage: ApiKeyStorage
  /** The harness whose entry this is; undefined for the machine-wide default entry. */
  harness?: string
}

export function credentialsFilePath(): string {
  return path.join(userConfigDir(), 'credentials.json')
}

/**
 * The keychain account an entry's key is stored under. The default entry keeps the account the
 * single-entry format used (the daemon URL), so migrating never has to touch the keychain.
 */
export function keychainAccount(daemonUrl: string, harness: string | undefined): string {
  return harness === undefined ? daemonUrl : `${harness}@${daemonUrl}`
}

function writeCredentialsFile(record: CredentialsFile): string {
  const file = credentialsFilePath()
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n', {mode: 0o600, dirMode: 0o700})
  chmodSync(file, 0o600)
  return file
}

/**
 * The credentials file, or undefined when missing or unreadable (never throws: hooks call this).
 * A single-entry file is migrated here, on its first read: rewritten in the per-harness shape
 * (atomically, 0600) with its entry as the machine-wide default. If the rewrite fails (read-only
 * config dir), the migrated view is still returned and the rewrite is tried again next time.
 */
export function readCredentialsFile(): CredentialsFile | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(credentialsFilePath(), 'utf8'))
  } catch {
    return undefined
  }
  if (isLegacyFile(parsed)) {
    const {version: _version, ...entry} = parsed
    const migrated: CredentialsFile = {version: 2, default: entry, harnesses: {}}
    try {
      writeCredentialsFile(migrated)
    } catch {
      // still usable in memory; migrated on a later read or on the next save
    }
    return migrated
  }
  return asCredentialsFile(parsed)
}

/** True when the credentials file is readable by others (it must be 0600). */
export function credentialsFileTooOpen(): boolean {
  const file = credentialsFilePath()
  return existsSync(file) && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0
}

/**
 * The entry a client acting for `harness` uses: that harness's own entry, else the machine-wide
 * default (only when one exists — never another harness's key). Without a harness (plain CLI
 * commands such as `signet recall` on a harness machine): the default entry, else the most
 * recently saved harness entry.
 */
export function selectCredentialEntry(record: CredentialsFile, harness?: string): {entry: CredentialEntry; harness?: string} | undefined {
  if (harness !== undefined) {
    if (Object.hasOwn(record.harnesses, harness)) return {entry: record.harnesses[harness], harness}
    return record.default ? {entry: record.default} : undefined
  }
  if (record.default) return {entry: record.default}
  // Saving moves an entry to the end of the file, so on a timestamp tie (two saves within one
  // millisecond) the later entry in the file is the more recent one.
  let latest: {entry: CredentialEntry; harness: string} | undefined
  for (const [name, entry] of Object.entries(record.harnesses)) {
    if (!latest || entry.savedAt >= latest.entry.savedAt) latest = {entry, harness: name}
  }
  return latest
}

/**
 * Save the connection of one harness. Other harnesses' entries (and the default entry) are left
 * exactly as they were. The key goes to the keychain when one works, else to the 0600 file; a key
 * this harness saved earlier in the other place is removed so there is only ever one copy.
 */
export async function saveCredentials(
  input: {harness: string; daemonUrl: string; apiKey?: string; agentId?: string},
  options: {keychain?: Keychain | null} = {},
): Promise<{apiKeyStorage: ApiKeyStorage; file: string}> {
  const harness = checkHarness(input.harness)
  const daemonUrl = parseDaemonUrl(input.daemonUrl, '--url')
  const keychain = options.keychain === undefined ? await loadKeychain() : options.keychain
  const record = readCredentialsFile() ?? {version: 2, harnesses: {}}
  const previous = Object.hasOwn(record.harnesses, harness) ? record.harnesses[harness] : undefined
  const account = keychainAccount(daemonUrl, harness)
  let apiKeyStorage: ApiKeyStorage = 'none'
  if (input.apiKey) apiKeyStorage = (await keychainSet(keychain, account, input.apiKey)) ? 'keychain' : 'file'
  if (previous?.apiKeyStorage === 'keychain') {
    const previousAccount = keychainAccount(previous.daemonUrl, harness)
    if (previousAccount !== account || apiKeyStorage !== 'keychain') await keychainDelete(keychain, previousAccount)
  }
  delete record.harnesses[harness]
  record.harnesses[harness] = {
    daemonUrl,
    ...(input.agentId ? {agentId: input.agentId} : {}),
    apiKeyStorage,
    ...(apiKeyStorage === 'file' ? {apiKey: input.apiKey} : {}),
    savedAt: new Date().toISOString(),
  }
  return {apiKeyStorage, file: writeCredentialsFile(record)}
}

async function withKey(selected: {entry: CredentialEntry; harness?: string}, keychain: Keychain | null | undefined): Promise<StoredCredentials> {
  const {entry, harness} = selected
  let apiKey: string | undefined
  if (entry.apiKeyStorage === 'file') apiKey = entry.apiKey
  if (entry.apiKeyStorage === 'keychain') {
    apiKey = await keychainGet(keychain === undefined ? await loadKeychain() : keychain, keychainAccount(entry.daemonUrl, harness))
  }
  return {daemonUrl: entry.daemonUrl, agentId: entry.agentId, apiKeyStorage: entry.apiKeyStorage, apiKey, ...(harness ? {harness} : {})}
}

/** The stored connection for `harness` (see selectCredentialEntry) with its key, or undefined. */
export async function resolveStoredCredentials(options: {harness?: string; keychain?: Keychain | null} = {}): Promise<StoredCredentials | undefined> {
  const record = readCredentialsFile()
  const selected = record && selectCredentialEntry(record, options.harness)
  return selected ? withKey(selected, options.keychain) : undefined
}

/**
 * Forget one harness's connection (its entry and its keychain item); every other entry stays.
 * The file goes when nothing is left in it. True when there was an entry to remove.
 */
export async function removeStoredCredentials(harness: string, options: {keychain?: Keychain | null} = {}): Promise<boolean> {
  const record = readCredentialsFile()
  if (!record || !Object.hasOwn(record.harnesses, harness)) return false
  const entry = record.harnesses[harness]
  if (entry.apiKeyStorage === 'keychain') {
    await keychainDelete(options.keychain === undefined ? await loadKeychain() : options.keychain, keychainAccount(entry.daemonUrl, harness))
  }
  delete record.harnesses[harness]
  if (!record.default && Object.keys(record.harnesses).length === 0) rmSync(credentialsFilePath(), {force: true})
  else writeCredentialsFile(record)
  return true
}

/** Forget every stored connection (all entries, their keychain items, and the file). */
export async function clearStoredCredentials(options: {keychain?: Keychain | null} = {}): Promise<boolean> {
  const record = readCredentialsFile()
  if (record) {
    const keychain = options.keychain === undefined ? await loadKeychain() : options.keychain
    const entries: Array<[CredentialEntry, string | undefined]> = Object.entries(record.harnesses).map(([harness, entry]) => [entry, harness])
    if (record.default) entries.push([record.default, undefined])
    for (const [entry, harness] of entries) {
      if (entry.apiKeyStorage === 'keychain') await keychainDelete(keychain, keychainAccount(entry.daemonUrl, harness))
    }
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
  /** The harness whose stored entry was used (undefined: env, or the default entry). */
  harness?: string
  source: {url: 'env' | 'stored' | 'none'; apiKey: 'env' | 'keychain' | 'file' | 'none'}
}

/**
 * Run-time resolution for every client: environment first (`SIGNET_DAEMON_URL`,
 * `SIGNET_API_KEY` or its alias `SIGNET_TOKEN`, `SIGNET_AGENT_ID`), then the stored connection
 * of `options.harness` (or the default entry). A stored key is only used for the daemon it was
 * saved for.
 */
export async function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
  options: {harness?: string; keychain?: Keychain | null} = {},
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
    ...(storedApplies && stored.harness ? {harness: stored.harness} : {}),
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
 * The stored connection for `harness` (see selectCredentialEntry), read synchronously for
 * DaemonClient construction. With `envUrl` (SIGNET_DAEMON_URL) it only applies when it was saved
 * for that same daemon.
 */
export function storedConnectionSync(envUrl?: string, harness?: string): StoredConnection | undefined {
  const record = readCredentialsFile()
  const selected = record && selectCredentialEntry(record, harness)
  if (!selected) return undefined
  const {entry} = selected
  if (envUrl?.trim()) {
    try {
      if (parseDaemonUrl(envUrl) !== entry.daemonUrl) return undefined
    } catch {
      return undefined
    }
  }
  const connection: StoredConnection = {daemonUrl: entry.daemonUrl, agentId: entry.agentId}
  if (entry.apiKeyStorage === 'file') connection.apiKey = entry.apiKey
  if (entry.apiKeyStorage === 'keychain') {
    const account = keychainAccount(entry.daemonUrl, selected.harness)
    connection.apiKeyLookup = async () => keychainGet(await loadKeychain(), account)
  }
  return connection
}
