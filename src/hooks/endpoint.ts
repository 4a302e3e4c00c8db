import {existsSync} from 'node:fs'
import path from 'node:path'

import {chooseDaemonEndpoint, type DaemonEndpoint, envApiKey, envDaemonUrl, type SavedConnection} from '../client/daemon-endpoint.js'
import {userConfigDir} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'

export type HookEndpoint = DaemonEndpoint

/**
 * Where the hook sends its one request: the CLI's resolver (chooseDaemonEndpoint), without the
 * CLI's config stack (agent.yaml parsing alone costs ~30 ms), so a local daemon that is down is
 * named by its socket (`unix:<path>`). An invalid SIGNET_DAEMON_URL throws (the caller logs it and
 * exits 0); so does a workspace that cannot be resolved.
 */
export async function resolveHookEndpoint(options: {workspaceFlag?: string; harness?: string} = {}): Promise<HookEndpoint> {
  const envKey = envApiKey()
  const envUrl = envDaemonUrl()
  return chooseDaemonEndpoint({
    envUrl,
    envKey,
    // env naming both daemon and key leaves nothing for a saved connection to add
    saved: envUrl && envKey ? undefined : await savedConnectionWithKey(options.harness),
    workspace: () => resolveWorkspace({flag: options.workspaceFlag}).path,
  })
}

/**
 * The saved connection with its key read now (the hook sends one request): a keychain that no
 * longer has the key leaves a keyless connection, which goes to the local daemon.
 */
async function savedConnectionWithKey(harness: string | undefined): Promise<SavedConnection | undefined> {
  // Same path as credentialsFilePath(): checked here with one stat so that machines without a
  // stored connection (every local setup) never load the credential store and its dependencies.
  if (!existsSync(path.join(userConfigDir(), 'credentials.json'))) return undefined
  const {storedConnectionSync} = await import('../credentials/credential-store.js')
  const saved = storedConnectionSync(process.env.SIGNET_DAEMON_URL, harness)
  if (!saved?.apiKeyLookup) return saved
  const {apiKeyLookup, ...connection} = saved
  return {...connection, apiKey: await apiKeyLookup()}
}
