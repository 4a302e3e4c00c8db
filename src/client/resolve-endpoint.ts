import {existsSync, readFileSync} from 'node:fs'

import {loadAgentConfig} from '../config/agent-config.js'
import {parsePort} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import {DaemonClient} from './daemon-client.js'
import {DEFAULT_DAEMON_PORT, parseDaemonUrl} from './daemon-url.js'

export interface DaemonEndpoint {
  url: string
  apiKey?: string
  /** Where the URL came from, for status output and error messages. */
  urlSource: 'env' | 'credentials' | 'workspace-state' | 'workspace-config' | 'default'
  /** The stored key lives in the OS keychain: read it on the first request (SPEC §9.3). */
  apiKeyLookup?: () => Promise<string | undefined>
}

/**
 * Where the daemon is and which key to send, in SPEC §9.3 order:
 * env (SIGNET_DAEMON_URL, SIGNET_API_KEY, SIGNET_TOKEN) → the local workspace's running daemon → defaults.
 */
export function resolveDaemonEndpoint(options: {workspace?: string; asOwner?: boolean; harness?: string} = {}): DaemonEndpoint {
  const envKey = (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
  // Owner commands (keys, pairing, daemon status) run on the daemon's machine and manage that
  // daemon: a connection saved for a harness (often agent-scoped, or remote) must not hijack them.
  if (options.asOwner && options.workspace && !process.env.SIGNET_DAEMON_URL?.trim()) {
    const local = localDaemonEndpoint(options.workspace, envKey)
    if (local) return local
  }
  // the connection saved by `signet connect` for this harness (keychain or 0600 file) comes right after env
  const stored = storedConnectionSync(process.env.SIGNET_DAEMON_URL, options.harness)
  const apiKey = envKey ?? stored?.apiKey
  const apiKeyLookup = envKey ? undefined : stored?.apiKeyLookup
  if (process.env.SIGNET_DAEMON_URL?.trim()) {
    return {url: parseDaemonUrl(process.env.SIGNET_DAEMON_URL), apiKey, apiKeyLookup, urlSource: 'env'}
  }
  if (stored) return {url: stored.daemonUrl, apiKey, apiKeyLookup, urlSource: 'credentials'}
  if (options.workspace) {
    const paths = workspacePaths(options.workspace)
    const local = localDaemonEndpoint(options.workspace, apiKey)
    if (local) return local
    if (existsSync(paths.agentYaml)) {
      const config = loadAgentConfig(options.workspace)
      const port = parsePort(process.env.SIGNET_PORT, config.network.port)
      return {url: `http://127.0.0.1:${port}`, apiKey, urlSource: 'workspace-config'}
    }
  }
  const port = parsePort(process.env.SIGNET_PORT, DEFAULT_DAEMON_PORT)
  return {url: `http://127.0.0.1:${port}`, apiKey, urlSource: 'default'}
}

/** The workspace's own running daemon (from `.daemon/daemon.json`) with the admin token as fallback key. */
function localDaemonEndpoint(workspace: string, apiKey: string | undefined): DaemonEndpoint | undefined {
  const paths = workspacePaths(workspace)
  if (!existsSync(paths.stateFile)) return undefined
  try {
    const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as {url?: string}
    if (state.url) return {url: state.url, apiKey: apiKey ?? readAdminToken(paths.adminTokenFile), urlSource: 'workspace-state'}
  } catch {
    // unreadable state: fall back to the configured port
  }
  return undefined
}

export function createDaemonClient(options: {workspace?: string; harness?: string; timeoutMs?: number; asOwner?: boolean} = {}): DaemonClient {
  const endpoint = resolveDaemonEndpoint({workspace: options.workspace, asOwner: options.asOwner, harness: options.harness})
  return new DaemonClient({url: endpoint.url, apiKey: endpoint.apiKey, apiKeyLookup: endpoint.apiKeyLookup, harness: options.harness, timeoutMs: options.timeoutMs})
}

/**
 * The running local daemon's `.daemon/admin.token` (0600): how the local CLI authenticates in `team`
 * mode (SPEC §6.1). Only sent to the daemon this workspace's daemon.json names, never to an env URL.
 */
function readAdminToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
