import {existsSync} from 'node:fs'

import {loadAgentConfig} from '../config/agent-config.js'
import {parsePort} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import {DaemonClient} from './daemon-client.js'
import {chooseDaemonEndpoint, type DaemonEndpoint, envApiKey, envDaemonUrl} from './daemon-endpoint.js'
import {DEFAULT_DAEMON_PORT} from './daemon-url.js'

export type {DaemonEndpoint} from './daemon-endpoint.js'

/**
 * The CLI's and MCP server's endpoint: chooseDaemonEndpoint (shared with the hook) fed with the
 * connection `signet connect` saved, read synchronously (a keychain key is looked up on the first
 * request). A local daemon that is down is named by the URL agent.yaml gives it.
 */
export function resolveDaemonEndpoint(options: {workspace?: string; asOwner?: boolean; harness?: string} = {}): DaemonEndpoint {
  return chooseDaemonEndpoint({
    envUrl: envDaemonUrl(),
    envKey: envApiKey(),
    saved: storedConnectionSync(process.env.SIGNET_DAEMON_URL, options.harness),
    workspace: () => options.workspace ?? defaultWorkspace(),
    asOwner: options.asOwner,
    localDaemonName: configuredUrl,
  })
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
    port = parsePort(process.env.SIGNET_PORT, port)
  } catch {
    // an unreadable agent.yaml or a bad SIGNET_PORT only costs the port shown in messages: the
    // endpoint itself is the socket, as for the hook (`signet daemon start` reports the bad value)
  }
  return `http://127.0.0.1:${port}`
}
