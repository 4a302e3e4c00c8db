import {readFileSync} from 'node:fs'

import {parsePort} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import {portFromAgentYaml} from './configured-port.js'
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

/**
 * Where the daemon listens on TCP, for display only: daemon.json is gone while it is down. An
 * agent.yaml laid out in a way the line reader is not sure of names the daemon by its socket.
 */
function configuredUrl(workspace: string): string {
  const paths = workspacePaths(workspace)
  let port = agentYamlPort(paths.agentYaml)
  try {
    if (process.env.SIGNET_PORT?.trim()) port = parsePort(process.env.SIGNET_PORT, DEFAULT_DAEMON_PORT)
  } catch {
    // a bad SIGNET_PORT only costs the port shown in messages: the endpoint itself is the socket,
    // as for the hook (`signet daemon start` reports the bad value)
  }
  return port === undefined ? `unix:${paths.socketFile}` : `http://127.0.0.1:${port}`
}

function agentYamlPort(file: string): number | undefined {
  try {
    return portFromAgentYaml(readFileSync(file, 'utf8'))
  } catch {
    return DEFAULT_DAEMON_PORT // no agent.yaml (defaults apply), or one `signet daemon start` will report
  }
}
