import {hostname} from 'node:os'

import {DaemonClient, DaemonRequestError, DaemonUnreachableError} from '../client/daemon-client.js'
import {SignetError} from '../errors.js'

/**
 * Checks a remote daemon before any harness file is touched (docs/architecture.md, Connectors): it must answer
 * `/health`, and `/api/auth/whoami` must accept the key. Every refusal says what to do.
 */

export interface WhoAmI {
  authenticated: boolean
  trustedLocal?: boolean
  kind?: string
  role: string
  keyId: string | null
  name: string | null
  connector: string | null
  scope: {agent?: string; project?: string; user?: string}
  authMode: string
  remote: boolean
}

export interface VerifiedDaemon {
  url: string
  version?: string
  whoami: WhoAmI
}

const CHECK_TIMEOUT_MS = 8000

export async function verifyDaemon(url: string, apiKey: string | undefined): Promise<VerifiedDaemon> {
  const open = new DaemonClient({url, timeoutMs: CHECK_TIMEOUT_MS})
  let health: {status?: string; version?: string}
  try {
    health = await open.get('/health')
  } catch (error) {
    if (error instanceof DaemonUnreachableError) {
      throw new SignetError(
        `daemon not reachable at ${url} (${error.message.match(/\(([^)]*)\)/)?.[1] ?? error.reason}) — check the URL, that the daemon runs there, and that it listens on the network (agent.yaml network.mode: tailscale)`,
        'daemon_unreachable',
      )
    }
    if (error instanceof DaemonRequestError) {
      throw new SignetError(`${url} answered /health with HTTP ${error.status} — is this a Signet daemon?`, 'not_a_daemon')
    }
    throw error
  }
  if (health?.status === undefined) throw new SignetError(`${url}/health did not answer like a Signet daemon`, 'not_a_daemon')
  const client = new DaemonClient({url, apiKey, timeoutMs: CHECK_TIMEOUT_MS})
  try {
    const whoami = await client.get<WhoAmI>('/api/auth/whoami')
    return {url, version: health.version, whoami}
  } catch (error) {
    if (error instanceof DaemonRequestError) {
      if (error.status === 401) {
        throw new SignetError(
          apiKey
            ? `the daemon at ${url} rejected the API key (401 ${error.daemonCode}) — create a new one on the daemon host with \`signet api-key create --name … --connector …\` or use \`signet pair\``
            : `the daemon at ${url} needs an API key (401) — pass --api-key, or --pair-code from \`signet pair\` on the daemon host`,
          'unauthorized',
        )
      }
      if (error.status === 403) {
        throw new SignetError(
          `the daemon at ${url} refused this key (403 ${error.daemonCode}) — it may be revoked, expired or scoped elsewhere; create or rotate a key on the daemon host`,
          'forbidden',
        )
      }
      if (error.status === 404) {
        throw new SignetError(`the daemon at ${url} has no /api/auth/whoami — upgrade Signet on the daemon host`, 'daemon_too_old')
      }
      if (error.status === 429) throw new SignetError(`the daemon at ${url} is rate-limiting this machine (429) — wait a minute and retry`, 'rate_limited')
    }
    if (error instanceof DaemonUnreachableError) throw new SignetError(`daemon at ${url} stopped answering during the check — retry`, 'daemon_unreachable')
    throw error
  }
}

export interface ClaimedKey {
  key: string
  id?: string
  name?: string
  role?: string
  connector?: string | null
  agentId?: string | null
}

/** Exchange a one-time pairing code for a freshly minted key (the key is never shown). */
export async function claimPairingCode(url: string, code: string, harness: string): Promise<ClaimedKey> {
  const client = new DaemonClient({url, timeoutMs: CHECK_TIMEOUT_MS, harness})
  const machine = hostname()
  try {
    const response = await client.post<{apiKey: ClaimedKey}>('/api/auth/pair/claim', {
      code: code.trim().toUpperCase(),
      name: `${harness} on ${machine}`.slice(0, 100),
      machineId: machine.slice(0, 256),
    })
    if (!response?.apiKey?.key) throw new SignetError(`the daemon at ${url} did not return a key for the pairing code`, 'pair_failed')
    return response.apiKey
  } catch (error) {
    if (error instanceof DaemonRequestError) {
      const detail = (error.body as {error?: string} | undefined)?.error ?? error.daemonCode
      if (error.status === 404)
        throw new SignetError(`the daemon at ${url} does not support pairing — upgrade Signet there, or use --api-key`, 'daemon_too_old')
      if (error.status === 429) throw new SignetError(`too many pairing attempts at ${url} — ${detail}`, 'rate_limited')
      throw new SignetError(`pairing code refused by ${url} (${error.status}): ${detail}`, 'pair_failed')
    }
    if (error instanceof DaemonUnreachableError) {
      throw new SignetError(`daemon not reachable at ${url} — check the URL and that the daemon listens on the network`, 'daemon_unreachable')
    }
    throw error
  }
}
