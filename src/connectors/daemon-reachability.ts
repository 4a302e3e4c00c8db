import {DaemonRequestError} from '../client/daemon-client.js'
import {clientForEndpoint, resolveDaemonEndpoint} from '../client/resolve-endpoint.js'
import type {WhoAmI} from './remote-daemon.js'

export interface DaemonReachability {
  url: string
  /** Where the URL and key came from, e.g. "credentials; key in keychain". */
  source: string
  reachable: boolean
  detail: string
}

const URL_SOURCE = {
  env: 'SIGNET_DAEMON_URL',
  credentials: 'saved by signet connect',
  workspace: 'local workspace daemon',
  default: 'default',
} as const

/**
 * Can a harness on this machine reach its daemon with the credentials it will use (its own
 * stored entry when `harness` is given)? (`connector status` / `connector list`; never throws.)
 */
export async function checkDaemonReachability(workspace?: string, harness?: string): Promise<DaemonReachability> {
  const endpoint = resolveDaemonEndpoint({workspace, harness})
  const keySource =
    process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN
      ? 'key from env'
      : endpoint.apiKeyLookup
        ? 'key in keychain'
        : endpoint.apiKey
          ? endpoint.urlSource === 'credentials'
            ? 'key in credentials file'
            : 'admin token'
          : endpoint.socketPath
            ? 'owner socket'
            : 'no key'
  const source = `${URL_SOURCE[endpoint.urlSource]}; ${keySource}`
  const client = clientForEndpoint(endpoint, {timeoutMs: 2500})
  // Both asked at once (one round trip, B5 in bench/README.md); who the daemon takes us for counts
  // only once /health has answered.
  const health = client.get<{version?: string}>('/health')
  const whoamiAnswer = client.get<WhoAmI>('/api/auth/whoami')
  whoamiAnswer.catch(() => {})
  let version: string | undefined
  try {
    version = (await health).version
  } catch (error) {
    return {url: endpoint.url, source, reachable: false, detail: (error as Error).message}
  }
  try {
    const whoami = await whoamiAnswer
    const who = whoami.authenticated
      ? `authenticated as ${whoami.name ?? whoami.keyId ?? whoami.kind} (${whoami.role})`
      : whoami.trustedLocal
        ? 'trusted as local'
        : 'not authenticated'
    return {url: endpoint.url, source, reachable: true, detail: `up (v${version ?? '?'}, ${whoami.authMode} auth), ${who}`}
  } catch (error) {
    if (error instanceof DaemonRequestError && (error.status === 401 || error.status === 403)) {
      return {
        url: endpoint.url,
        source,
        reachable: false,
        detail: `up, but the key was refused (${error.status} ${error.daemonCode}) — reconnect with \`signet connect ${harness ?? '<harness>'} --url … --pair-code …\``,
      }
    }
    return {url: endpoint.url, source, reachable: true, detail: `up (v${version ?? '?'})`}
  }
}
