import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {DEFAULT_DAEMON_PORT, parseDaemonUrl} from '../client/daemon-url.js'
import {userConfigDir, workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'

export interface HookEndpoint {
  url: string
  apiKey?: string
  source: 'env' | 'credentials' | 'workspace' | 'default'
  /** The local workspace, when the daemon is (or should be) on this machine. */
  workspace?: string
}

/**
 * Where the hook sends its one request, resolved without loading the CLI's config stack
 * (agent.yaml parsing alone costs ~30 ms): env → stored credentials → this machine's daemon.
 * An invalid SIGNET_DAEMON_URL throws (the caller logs it and exits 0).
 */
export async function resolveHookEndpoint(options: {workspaceFlag?: string} = {}): Promise<HookEndpoint> {
  const envKey = (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
  const envUrl = process.env.SIGNET_DAEMON_URL?.trim()
  if (envUrl) return {url: parseDaemonUrl(envUrl), apiKey: envKey, source: 'env'}

  const stored = await readStoredCredentials()
  if (stored) return {url: stored.url, apiKey: envKey ?? stored.apiKey, source: 'credentials'}

  const workspace = resolveWorkspace({flag: options.workspaceFlag}).path
  const paths = workspacePaths(workspace)
  const apiKey = envKey ?? readAdminToken(paths.adminTokenFile)
  try {
    const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as {url?: unknown}
    if (typeof state.url === 'string' && state.url) return {url: state.url, apiKey, source: 'workspace', workspace}
  } catch {
    // No running daemon recorded: try the default port, the daemon may run as a service elsewhere.
  }
  const port = Number(process.env.SIGNET_PORT) || DEFAULT_DAEMON_PORT
  return {url: `http://127.0.0.1:${port}`, apiKey, source: 'default', workspace}
}

function readAdminToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

export function credentialsFile(): string {
  return path.join(userConfigDir(), 'credentials.json')
}

/**
 * Credentials saved by `signet connector install --url … --api-key …` on a harness machine.
 * Only looked at when the file exists, so a local setup pays one stat, not a keychain round trip.
 */
async function readStoredCredentials(): Promise<{url: string; apiKey?: string} | undefined> {
  const file = credentialsFile()
  if (!existsSync(file)) return undefined
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as {url?: unknown; daemonUrl?: unknown; apiKey?: unknown}
    const url = typeof raw.url === 'string' ? raw.url : typeof raw.daemonUrl === 'string' ? raw.daemonUrl : undefined
    if (!url) return undefined
    return {url: parseDaemonUrl(url, 'credentials.json url'), apiKey: typeof raw.apiKey === 'string' ? raw.apiKey : undefined}
  } catch {
    return undefined
  }
}
