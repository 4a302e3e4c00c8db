import {parseDaemonUrl} from '../client/daemon-url.js'
import {resolveDaemonEndpoint} from '../client/resolve-endpoint.js'
import {saveCredentials, type CredentialsFile} from '../credentials/credential-store.js'
import {SignetError} from '../errors.js'
import {type ConnectorContext, defaultConnectorContext, type InstallResult} from './connector.js'
import {connectorFor} from './registry.js'
import {claimPairingCode, verifyDaemon, type WhoAmI} from './remote-daemon.js'

/**
 * `signet connector install` / `signet connect`: for a remote daemon, check it and the key
 * first, store the credentials on this machine (keychain or 0600 file — never in harness
 * files), then write the harness's files.
 */

export interface ConnectRequest {
  harness: string
  url?: string
  apiKey?: string
  agentId?: string
  pairCode?: string
  /** Workspace of a local daemon, to find its URL when no --url is given. */
  workspace?: string
}

export interface ConnectOutcome {
  install: InstallResult
  connection?: {
    url: string
    agentId?: string
    apiKeyStorage: CredentialsFile['apiKeyStorage']
    credentialsFile: string
    daemonVersion?: string
    authenticatedAs?: {keyId: string | null; name: string | null; role: string; connector: string | null; scope: WhoAmI['scope']}
    authMode?: string
    paired: boolean
  }
  warnings: string[]
}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export async function connectHarness(request: ConnectRequest, ctx: ConnectorContext = defaultConnectorContext()): Promise<ConnectOutcome> {
  const connector = connectorFor(request.harness)
  const apiKey = request.apiKey?.trim() || undefined
  const pairCode = request.pairCode?.trim() || undefined
  const agentId = request.agentId?.trim() || undefined
  if (apiKey && pairCode) throw new SignetError('give either --api-key or --pair-code, not both', 'invalid_flags')
  if (request.apiKey !== undefined && !apiKey) throw new SignetError('--api-key is empty', 'invalid_flags')
  if (agentId && !AGENT_ID.test(agentId)) throw new SignetError(`--agent-id "${agentId}" must be letters, digits, '.', '_' or '-' (up to 64)`, 'invalid_flags')
  const warnings: string[] = []
  const remote = Boolean(request.url || apiKey || pairCode)

  let connection: ConnectOutcome['connection']
  if (remote || agentId) {
    const url = request.url ? parseDaemonUrl(request.url, '--url') : resolveDaemonEndpoint({workspace: request.workspace}).url
    let key = apiKey
    let whoami: WhoAmI | undefined
    let daemonVersion: string | undefined
    if (remote) {
      if (pairCode) {
        await verifyDaemon(url, undefined).catch((error: SignetError) => {
          // no key yet: only "unreachable" matters before the claim
          if (error.code === 'daemon_unreachable' || error.code === 'not_a_daemon') throw error
        })
        key = (await claimPairingCode(url, pairCode, connector.id)).key
      }
      const verified = await verifyDaemon(url, key)
      whoami = verified.whoami
      daemonVersion = verified.version
      if (key && !whoami.authenticated) {
        warnings.push(`the daemon at ${url} runs in "${whoami.authMode}" auth mode and trusts this machine without a key; the key was stored but not checked`)
      }
      const scopedAgent = whoami.scope?.agent
      if (agentId && scopedAgent && scopedAgent !== agentId) {
        throw new SignetError(`this key is scoped to agent "${scopedAgent}", not "${agentId}" — drop --agent-id or use --agent-id ${scopedAgent}`, 'scope_violation')
      }
    }
    const saved = await saveCredentials({daemonUrl: url, apiKey: key, agentId})
    connection = {
      url,
      agentId,
      apiKeyStorage: saved.apiKeyStorage,
      credentialsFile: saved.file,
      daemonVersion,
      authMode: whoami?.authMode,
      paired: Boolean(pairCode),
      authenticatedAs: whoami
        ? {keyId: whoami.keyId, name: whoami.name, role: whoami.role, connector: whoami.connector, scope: whoami.scope}
        : undefined,
    }
  }

  const install = await connector.install(ctx)
  return {install, connection, warnings}
}
