import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {parseDaemonUrl} from '../client/daemon-url.js'
import {socketPathUsable} from '../client/local-socket.js'
import {userConfigDir, workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'

export interface HookEndpoint {
  /** A remote daemon's origin; for the local daemon, only a name for messages (`unix:<socket>`). */
  url: string
  /** The local workspace daemon's Unix socket: when set, the only thing the hook dials. */
  socketPath?: string
  /** No safe way to reach the local daemon (why): the request fails as offline without a connection. */
  unreachable?: string
  apiKey?: string
  /** The agent the stored connection was made for (`signet connect --agent-id`). */
  agentId?: string
  source: 'env' | 'credentials' | 'workspace'
  /** The local workspace, when the daemon is (or should be) on this machine. */
  workspace?: string
}

/**
 * Where the hook sends its one request, resolved without loading the CLI's config stack
 * (agent.yaml parsing alone costs ~30 ms): env URL → the stored connection (keychain or 0600
 * credentials file, via src/credentials) → this machine's workspace daemon through its Unix
 * socket `.daemon/signet.sock`. The local daemon is never dialled over TCP without proof: with it
 * down, whoever holds its port would get the prompt or transcript. An invalid SIGNET_DAEMON_URL
 * throws (the caller logs it and exits 0).
 */
export async function resolveHookEndpoint(options: {workspaceFlag?: string; harness?: string} = {}): Promise<HookEndpoint> {
  const envKey = (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
  const envUrl = process.env.SIGNET_DAEMON_URL?.trim() ? parseDaemonUrl(process.env.SIGNET_DAEMON_URL) : undefined
  if (envUrl && envKey) return {url: envUrl, apiKey: envKey, source: 'env'}

  let storedAgent: string | undefined
  // Same path as credentialsFilePath(): checked here with one stat so that machines without a
  // stored connection (every local setup) never load the credential store and its dependencies.
  if (existsSync(path.join(userConfigDir(), 'credentials.json'))) {
    const {resolveCredentials} = await import('../credentials/credential-store.js')
    // each harness has its own stored entry (and key); the default entry only when it has none
    const stored = await resolveCredentials(process.env, {harness: options.harness})
    // A connection without a key (`signet connect --agent-id` on the daemon's machine) names the
    // agent, not a remote daemon: it goes to the local socket like every keyless client.
    if (stored.url && stored.apiKey) return {url: stored.url, apiKey: stored.apiKey, agentId: stored.agentId, source: stored.source.url === 'env' ? 'env' : 'credentials'}
    storedAgent = stored.agentId
  }
  if (envUrl) return {url: envUrl, apiKey: envKey, agentId: storedAgent, source: 'env'}
  return {...localHookEndpoint(resolveWorkspace({flag: options.workspaceFlag}).path, envKey), agentId: storedAgent}
}

/** The workspace's daemon through its socket (or, where no socket fits, the admin token to its live recorded URL). */
export function localHookEndpoint(workspace: string, envKey?: string): HookEndpoint {
  const paths = workspacePaths(workspace)
  if (socketPathUsable(paths.socketFile)) return {url: `unix:${paths.socketFile}`, socketPath: paths.socketFile, apiKey: envKey, source: 'workspace', workspace}
  try {
    const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as {url?: unknown; pid?: unknown}
    if (typeof state.url === 'string' && typeof state.pid === 'number' && ownProcessAlive(state.pid)) {
      const token = envKey ?? readAdminToken(paths.adminTokenFile)
      if (token) return {url: state.url, apiKey: token, source: 'workspace', workspace}
    }
  } catch {
    // no running daemon recorded
  }
  return {url: `unix:${paths.socketFile}`, apiKey: envKey, unreachable: 'the daemon for this workspace is not running', source: 'workspace', workspace}
}

function ownProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function readAdminToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
