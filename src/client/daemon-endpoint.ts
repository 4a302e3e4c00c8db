import {readFileSync} from 'node:fs'

import {workspacePaths} from '../config/paths.js'
import {DEFAULT_DAEMON_PORT, parseDaemonUrl} from './daemon-url.js'
import {socketPathUsable} from './local-socket.js'

// The one endpoint resolver of every client: CLI commands and the MCP server (through
// ./resolve-endpoint.ts) and the hook (hooks/endpoint.ts). The hook is bundled into dist/hook.cjs
// and runs before every prompt, so this module reads files only: no agent.yaml, no credential
// store, no packages (scripts/bundle-hook.mjs refuses them).

export interface DaemonEndpoint {
  /** The daemon's TCP origin. For the local daemon (socketPath set) it only names the daemon in output. */
  url: string
  /** The local workspace daemon's Unix socket: the only way the local daemon is dialled. */
  socketPath?: string
  /** Why the local daemon cannot be reached safely right now (requests then fail as "not running"). */
  unreachable?: string
  apiKey?: string
  /** The stored key lives in the OS keychain: read it on the first request, so commands that never call the daemon never unlock the keychain. */
  apiKeyLookup?: () => Promise<string | undefined>
  /** The agent the stored connection was made for (`signet connect --agent-id`). */
  agentId?: string
  /** Where the URL came from, for status output and error messages. */
  urlSource: 'env' | 'credentials' | 'workspace' | 'default'
  /** The local workspace, when the daemon is (or should be) on this machine. */
  workspace?: string
}

/** The connection `signet connect` saved, already known to apply to SIGNET_DAEMON_URL when that is set. */
export interface SavedConnection {
  daemonUrl: string
  agentId?: string
  apiKey?: string
  apiKeyLookup?: () => Promise<string | undefined>
}

export interface EndpointInputs {
  /** SIGNET_DAEMON_URL, validated (envDaemonUrl). */
  envUrl?: string
  /** SIGNET_API_KEY or SIGNET_TOKEN (envApiKey). */
  envKey?: string
  saved?: SavedConnection
  /** The local workspace; undefined when there is none. Called only when the local daemon is the answer. */
  workspace: () => string | undefined
  /** Owner commands manage this machine's daemon: a saved (harness, maybe remote) connection must not take them elsewhere. */
  asOwner?: boolean
  /** How to name the local daemon while daemon.json records no URL (default: its socket, `unix:<path>`). */
  localDaemonName?: (workspace: string) => string
}

/** SIGNET_API_KEY, or its alias SIGNET_TOKEN. */
export function envApiKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.SIGNET_API_KEY || env.SIGNET_TOKEN)?.trim() || undefined
}

/** SIGNET_DAEMON_URL as an origin; an invalid one throws (it is never silently ignored). */
export function envDaemonUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SIGNET_DAEMON_URL?.trim() ? parseDaemonUrl(env.SIGNET_DAEMON_URL) : undefined
}

/**
 * Where the daemon is and which key to send: env (SIGNET_DAEMON_URL, SIGNET_API_KEY,
 * SIGNET_TOKEN) → the connection saved by `signet connect` → this machine's workspace daemon.
 *
 * The workspace daemon is reached only through its Unix socket in the 0700 `.daemon/`: a loopback
 * port proves nothing (with the daemon down, any local process may hold it), so without an
 * explicit remote URL nothing is ever sent over TCP — except the admin token path in
 * localDaemonEndpoint, for a workspace whose socket path is too long for the platform.
 */
export function chooseDaemonEndpoint(inputs: EndpointInputs): DaemonEndpoint {
  const {envUrl, envKey} = inputs
  if (inputs.asOwner && !envUrl) return localOrNone(inputs)
  // A saved connection without a key (`signet connect --agent-id` on this machine) names an agent,
  // not a daemon to dial over TCP (a keyless TCP request is refused anyway): it goes local.
  const saved = inputs.saved && (inputs.saved.apiKey || inputs.saved.apiKeyLookup || envKey) ? inputs.saved : undefined
  const agentId = inputs.saved?.agentId
  const apiKey = envKey ?? saved?.apiKey
  const apiKeyLookup = envKey ? undefined : saved?.apiKeyLookup
  if (envUrl) return {url: envUrl, apiKey, apiKeyLookup, agentId, urlSource: 'env'}
  if (saved) return {url: saved.daemonUrl, apiKey, apiKeyLookup, agentId, urlSource: 'credentials'}
  return {...localOrNone(inputs), agentId}
}

function localOrNone(inputs: EndpointInputs): DaemonEndpoint {
  const workspace = inputs.workspace()
  if (workspace) return localDaemonEndpoint(workspace, inputs.envKey, inputs.localDaemonName)
  return {url: `http://127.0.0.1:${DEFAULT_DAEMON_PORT}`, unreachable: 'no workspace to find a local daemon in', urlSource: 'default'}
}

/**
 * The workspace's own daemon, through its socket. A key from env still goes along (and its limits
 * apply); the owner needs none — reaching the socket is the proof.
 */
export function localDaemonEndpoint(workspace: string, envKey?: string, localDaemonName?: (workspace: string) => string): DaemonEndpoint {
  const paths = workspacePaths(workspace)
  const state = readState(paths.stateFile)
  const url = state?.url ?? (localDaemonName ? localDaemonName(workspace) : `unix:${paths.socketFile}`)
  if (socketPathUsable(paths.socketFile)) return {url, socketPath: paths.socketFile, apiKey: envKey, urlSource: 'workspace', workspace}
  // No socket possible: the admin token (0600) over loopback TCP proves the owner instead — but
  // only to the daemon this workspace's daemon.json names, and only while that process lives, so
  // a listener squatting a dead daemon's port never gets the token or the request.
  if (state?.url && state.pid !== undefined && processAlive(state.pid)) {
    const token = envKey ?? readAdminToken(paths.adminTokenFile)
    if (token) return {url: state.url, apiKey: token, urlSource: 'workspace', workspace}
  }
  return {url, apiKey: envKey, unreachable: 'the daemon for this workspace is not running', urlSource: 'workspace', workspace}
}

/** `.daemon/daemon.json`, the running daemon's record; only well-typed fields are kept. */
function readState(file: string): {url?: string; pid?: number} | undefined {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as {url?: unknown; pid?: unknown}
    return {url: typeof state.url === 'string' && state.url ? state.url : undefined, pid: typeof state.pid === 'number' ? state.pid : undefined}
  } catch {
    return undefined
  }
}

/** Alive and ours: a pid another user now holds (EPERM) is not our daemon. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The running local daemon's `.daemon/admin.token` (0600): the owner's credential when there is no socket. */
function readAdminToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
