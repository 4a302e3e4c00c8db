import {parseDaemonUrl} from '../client/daemon-url.js'
import {resolveDaemonEndpoint} from '../client/resolve-endpoint.js'
import {type ApiKeyStorage, saveCredentials} from '../credentials/credential-store.js'
import {SignetError} from '../errors.js'
import {type ConnectorContext, defaultConnectorContext, type InstallResult} from './connector.js'
import {connectorFor} from './registry.js'
import {claimPairingCode, verifyDaemon, type WhoAmI} from './remote-daemon.js'

/**
 * `signet connector install` / `signet connect`: for a remote daemon, check it and the key
 * first, store the credentials on this machine under this harness's own entry (keychain or 0600
 * file — never in harness files; other harnesses' entries are left alone), then write the
 * harness's files.
 */

export interface ConnectRequest {
  harness: string
  url?: string
  apiKey?: string
  agentId?: string
  pairCode?: string
  /** Workspace of a local daemon, to find its URL when no --url is given. */
  workspace?: string
  /** Connect even though the key was made for another connector (`--force`). */
  force?: boolean
  /**
   * Asked (interactive use only) when the key was made for another connector; true goes on.
   * Without it, a mismatch is refused unless `force`.
   */
  confirmConnectorMismatch?: (problem: string) => Promise<boolean>
}

export interface ConnectOutcome {
  install: InstallResult
  connection?: {
    url: string
    agentId?: string
    apiKeyStorage: ApiKeyStorage
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
      const mismatch = connectorMismatch(whoami, connector.id)
      if (mismatch) {
        // A claimed pairing code is spent and its key minted: refusing now would only strand both.
        const proceed = request.force || Boolean(pairCode) || (request.confirmConnectorMismatch ? await request.confirmConnectorMismatch(mismatch) : false)
        if (!proceed) {
          throw new SignetError(
            `${mismatch} — create a key for this harness on the daemon host (\`signet api-key create --name "${connector.id} on this machine" --connector ${connector.id}\`, or \`signet pair --connector ${connector.id}\`), or pass --force to use this one anyway`,
            'connector_mismatch',
          )
        }
        warnings.push(mismatch)
      }
      const scopedAgent = whoami.scope?.agent
      if (agentId && scopedAgent && scopedAgent !== agentId) {
        throw new SignetError(
          `this key is scoped to agent "${scopedAgent}", not "${agentId}" — drop --agent-id or use --agent-id ${scopedAgent}`,
          'scope_violation',
        )
      }
    }
    const saved = await saveCredentials({harness: connector.id, daemonUrl: url, apiKey: key, agentId})
    connection = {
      url,
      agentId,
      apiKeyStorage: saved.apiKeyStorage,
      credentialsFile: saved.file,
      daemonVersion,
      authMode: whoami?.authMode,
      paired: Boolean(pairCode),
      authenticatedAs: whoami ? {keyId: whoami.keyId, name: whoami.name, role: whoami.role, connector: whoami.connector, scope: whoami.scope} : undefined,
    }
  }

  const install = await connector.install(ctx)
  return {install, connection, warnings}
}

/**
 * A key records the connector it was made for. Using it for another harness works, but the two
 * harnesses then share one key: revoking it for one breaks the other, and the daemon's audit
 * names the wrong harness. That is almost always a pasted-the-wrong-key mistake, so it is said.
 */
export function connectorMismatch(whoami: WhoAmI, harness: string): string | undefined {
  if (!whoami.authenticated || !whoami.connector || whoami.connector === harness) return undefined
  const name = whoami.name ? `"${whoami.name}"` : (whoami.keyId ?? 'this key')
  return `the key ${name} was made for the ${whoami.connector} connector, not ${harness}`
}
