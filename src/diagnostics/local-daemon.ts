import type {DaemonClient} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {readDaemonState} from '../daemon/process.js'

/**
 * A client for the daemon this workspace runs (its `.daemon/daemon.json`, admin token as the
 * fallback key) — the owner's view, not a harness connection saved by `signet connect`.
 * Undefined when the workspace has no running daemon state.
 */
export function localDaemonClient(workspace: string, timeoutMs = 3000): DaemonClient | undefined {
  if (!readDaemonState(workspace)?.url) return undefined
  return createDaemonClient({workspace, asOwner: true, timeoutMs})
}

/** Start of the local day as an ISO timestamp, for "today" counts. */
export function startOfToday(now = new Date()): string {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString()
}
