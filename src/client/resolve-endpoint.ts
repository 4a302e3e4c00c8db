import {existsSync, readFileSync} from 'node:fs'

import {loadAgentConfig} from '../config/agent-config.js'
import {parsePort} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import {DaemonClient} from './daemon-client.js'
import {DEFAULT_DAEMON_PORT, parseDaemonUrl} from './daemon-url.js'
import {socketPathUsable} from './local-socket.js'

export interface DaemonEndpoint {
  /** The daemon's TCP origin. For the local daemon (socketPath set) it only names the daemon in output. */
  url: string
  /** The local workspace daemon's Unix socket: the only way the local daemon is dialled. */
  socketPath?: string
  /** Why the local daemon cannot be reached safely right now (requests then fail as "not running"). */
  unreachable?: string
  apiKey?: string
  /** Where the URL came from, for status output and error messages. */
  urlSource: 'env' | 'credentials' | 'workspace-state' | 'workspace-config' | 'default'
  /** The stored key lives in the OS keychain: read it on the first request, so commands that never call the daemon never unlock the keychain. */
  apiKeyLookup?: () => Promise<string | undefined>
}

/**
 * Where the daemon is and which key to send: env (SIGNET_DAEMON_URL, SIGNET_API_KEY,
 * SIGNET_TOKEN) → the connection saved by `signet connect` → this machine's workspace daemon.
 *
 * The workspace daemon is reached only through its Unix socket in the 0700 `.daemon/`: a loopback
 * port proves nothing (with the daemon down, any local process may hold it), so without an
 * explicit remote URL nothing is ever sent over TCP — except the admin token path below, for a
 * workspace whose socket path is too long for the platform.
 */
export function resolveDaemonEndpoint(options: {workspace?: string; asOwner?: boolean; harness?: string} = {}): DaemonEndpoint {
  const envKey = (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
  // Owner commands (keys, pairing, daemon status) run on the daemon's machine and manage that
  // daemon: a connection saved for a harness (often agent-scoped, or remote) must not hijack them.
  if (options.asOwner && !process.env.SIGNET_DAEMON_URL?.trim()) {
    const workspace = options.workspace ?? defaultWorkspace()
    if (workspace) return localDaemonEndpoint(workspace, envKey)
  }
  // the connection saved by `signet connect` (keychain or 0600 file) comes right after env — when
  // it has a key: one without (`signet connect --agent-id` on this machine) names an agent, not a
  // daemon to dial over TCP, and a keyless TCP request is refused anyway.
  const saved = storedConnectionSync(process.env.SIGNET_DAEMON_URL, options.harness)
  const stored = saved && (saved.apiKey || saved.apiKeyLookup || envKey) ? saved : undefined
  const apiKey = envKey ?? stored?.apiKey
  const apiKeyLookup = envKey ? undefined : stored?.apiKeyLookup
  if (process.env.SIGNET_DAEMON_URL?.trim()) {
    return {url: parseDaemonUrl(process.env.SIGNET_DAEMON_URL), apiKey, apiKeyLookup, urlSource: 'env'}
  }
  if (stored) return {url: stored.daemonUrl, apiKey, apiKeyLookup, urlSource: 'credentials'}
  const workspace = options.workspace ?? defaultWorkspace()
  if (workspace) return localDaemonEndpoint(workspace, envKey)
  return {url: `http://127.0.0.1:${DEFAULT_DAEMON_PORT}`, unreachable: 'no workspace to find a local daemon in', urlSource: 'default'}
}

/**
 * The workspace's own daemon, through its socket. A key from env still goes along (and its limits
 * apply); the owner needs none — reaching the socket is the proof.
 */
function localDaemonEndpoint(workspace: string, envKey: string | undefined): DaemonEndpoint {
  const paths = workspacePaths(workspace)
  const state = readState(paths.stateFile)
  const {url, urlSource} = state?.url
    ? {url: state.url, urlSource: 'workspace-state' as const}
    : {url: configuredUrl(workspace), urlSource: existsSync(paths.agentYaml) ? ('workspace-config' as const) : ('default' as const)}
  if (socketPathUsable(paths.socketFile)) return {url, socketPath: paths.socketFile, apiKey: envKey, urlSource}
  // No socket possible: the admin token (0600) over loopback TCP proves the owner instead — but
  // only to the daemon this workspace's daemon.json names, and only while that process lives, so
  // a listener squatting a dead daemon's port never gets the token or the request.
  if (state?.url && typeof state.pid === 'number' && processAlive(state.pid)) {
    const token = readAdminToken(paths.adminTokenFile)
    if (token || envKey) return {url: state.url, apiKey: envKey ?? token, urlSource}
  }
  return {url, apiKey: envKey, urlSource, unreachable: `the daemon for ${workspace} is not running`}
}

export interface ClientOptions {
  harness?: string
  timeoutMs?: number
}

/** A DaemonClient for a resolved endpoint (socket or URL, key or keychain lookup). */
export function clientForEndpoint(endpoint: DaemonEndpoint, options: ClientOptions = {}): DaemonClient {
  return new DaemonClient({
    url: endpoint.url,
    socketPath: endpoint.socketPath,
    unreachable: endpoint.unreachable,
    apiKey: endpoint.apiKey,
    apiKeyLookup: endpoint.apiKeyLookup,
    harness: options.harness,
    timeoutMs: options.timeoutMs,
  })
}

export function createDaemonClient(options: {workspace?: string; harness?: string; timeoutMs?: number; asOwner?: boolean} = {}): DaemonClient {
  return clientForEndpoint(resolveDaemonEndpoint({workspace: options.workspace, asOwner: options.asOwner, harness: options.harness}), options)
}

function defaultWorkspace(): string | undefined {
  try {
    return resolveWorkspace().path
  } catch {
    return undefined
  }
}

/** Where the daemon listens on TCP, for display only: daemon.json is gone while it is down. */
function configuredUrl(workspace: string): string {
  let port = DEFAULT_DAEMON_PORT
  try {
    if (existsSync(workspacePaths(workspace).agentYaml)) port = loadAgentConfig(workspace).network.port
  } catch {
    // an unreadable agent.yaml only costs the port shown in messages
  }
  return `http://127.0.0.1:${parsePort(process.env.SIGNET_PORT, port)}`
}

function readState(file: string): {url?: string; pid?: number} | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as {url?: string; pid?: number}
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
