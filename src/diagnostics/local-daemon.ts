import {readFileSync} from 'node:fs'

import {DaemonClient} from '../client/daemon-client.js'
import {workspacePaths} from '../config/paths.js'
import {readDaemonState} from '../daemon/process.js'

/**
 * A client for the daemon this workspace runs, found through its `.daemon/daemon.json` and
 * authenticated with its admin token — regardless of SIGNET_DAEMON_URL or saved remote
 * credentials, because `status` and `doctor` describe this workspace's own daemon.
 */
export function localDaemonClient(workspace: string, timeoutMs = 3000): DaemonClient | undefined {
  const state = readDaemonState(workspace)
  if (!state?.url) return undefined
  let adminToken: string | undefined
  try {
    adminToken = readFileSync(workspacePaths(workspace).adminTokenFile, 'utf8').trim() || undefined
  } catch {
    adminToken = undefined
  }
  return new DaemonClient({url: state.url, apiKey: adminToken, timeoutMs})
}

/** Start of the local day as an ISO timestamp, for "today" counts. */
export function startOfToday(now = new Date()): string {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString()
}
