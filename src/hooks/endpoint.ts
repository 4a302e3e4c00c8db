import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {DEFAULT_DAEMON_PORT, parseDaemonUrl} from '../client/daemon-url.js'
import {userConfigDir, workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'

export interface HookEndpoint {
  url: string
  apiKey?: string
  /** The agent the stored connection was made for (`signet connect --agent-id`). */
  agentId?: string
  source: 'env' | 'credentials' | 'workspace' | 'default'
  /** The local workspace, when the daemon is (or should be) on this machine. */
  workspace?: string
}

/**
 * Where the hook sends its one request, resolved without loading the CLI's config stack
 * (agent.yaml parsing alone costs ~30 ms), in SPEC §9.3 order: env → the stored connection
 * (keychain or 0600 credentials file, via src/credentials) → this machine's daemon
 * (`.daemon/daemon.json` + `.daemon/admin.token`). An invalid SIGNET_DAEMON_URL throws
 * (the caller logs it and exits 0).
 */
export async function resolveHookEndpoint(options: {workspaceFlag?: string; harness?: string} = {}): Promise<HookEndpoint> {
  const envKey = (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
  const envUrl = process.env.SIGNET_DAEMON_URL?.trim() ? parseDaemonUrl(process.env.SIGNET_DAEMON_URL) : undefined
  if (envUrl && envKey) return {url: envUrl, apiKey: envKey, source: 'env'}

  // Same path as credentialsFilePath(): checked here with one stat so that machines without a
  // stored connection (every local setup) never load the credential store and its dependencies.
  if (existsSync(path.join(userConfigDir(), 'credentials.json'))) {
    const {resolveCredentials} = await import('../credentials/credential-store.js')
    // each harness has its own stored entry (and key); the default entry only when it has none
    const stored = await resolveCredentials(process.env, {harness: options.harness})
    if (stored.url) return {url: stored.url, apiKey: stored.apiKey, agentId: stored.agentId, source: stored.source.url === 'env' ? 'env' : 'credentials'}
  }
  if (envUrl) return {url: envUrl, apiKey: envKey, source: 'env'}

  const workspace = resolveWorkspace({flag: options.workspaceFlag}).path
  const paths = workspacePaths(workspace)
  try {
    const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as {url?: unknown}
    if (typeof state.url === 'string' && state.url) {
      // The admin token only ever goes to the daemon this workspace's daemon.json names.
      return {url: state.url, apiKey: envKey ?? readAdminToken(paths.adminTokenFile), source: 'workspace', workspace}
    }
  } catch {
    // No running daemon recorded: try the default port, the daemon may run as a service elsewhere.
  }
  const port = Number(process.env.SIGNET_PORT) || DEFAULT_DAEMON_PORT
  return {url: `http://127.0.0.1:${port}`, apiKey: envKey, source: 'default', workspace}
}

function readAdminToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
