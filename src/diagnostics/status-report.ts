import {existsSync} from 'node:fs'

import type {AgentConfig} from '../config/agent-config.js'
import {resolveListenSettings} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {resolveStorageSettings} from '../config/storage-settings.js'
import type {ResolvedWorkspace, WorkspaceSource} from '../config/workspace.js'
import {type ConnectorContext, type ConnectorState, defaultConnectorContext} from '../connectors/connector.js'
import {allConnectors} from '../connectors/registry.js'
import {agentYamlValidatedByDaemon, daemonProcessStatus} from '../daemon/process.js'
import {forgeStatus} from '../forge/status.js'
import {describeStorage} from '../store/open-storage.js'
import {localDaemonClient, startOfToday} from './local-daemon.js'

export interface StatusReport {
  workspace: {path: string; source: WorkspaceSource; origin: string; exists: boolean}
  agent: {name: string} | null
  daemon: {
    running: boolean
    pid: number | null
    url: string | null
    version: string | null
    uptime: number | null
    bindHost: string | null
    networkMode: string | null
    authMode: string | null
  }
  /**
   * Where the data lives as agent.yaml (and SIGNET_DATABASE_URL here) say — a PostgreSQL URL with
   * its password masked — and the backend the running daemon reports (null when it is down).
   */
  storage: {backend: 'sqlite' | 'postgres'; location: string; daemonBackend: 'sqlite' | 'postgres' | null} | null
  memories: number | null
  /** Sessions started since local midnight; null when the daemon is down or has no sessions route. */
  sessionsToday: number | null
  connectors: Array<{harness: string; name: string; state: ConnectorState; detected: boolean; version: string | null; problems: string[]}>
  keys: {active: number; expired: number; revoked: number} | null
  forge: {installed: boolean; version: string | null; onPath: boolean}
  warnings: string[]
}

/** One screen about this workspace: daemon, memory, sessions, connectors, keys, warnings. Never throws for a failed probe. */
export async function collectStatus(workspace: ResolvedWorkspace, options: {connectorContext?: ConnectorContext} = {}): Promise<StatusReport> {
  const paths = workspacePaths(workspace.path)
  const warnings: string[] = []
  const exists = existsSync(paths.agentYaml)
  const processStatus = exists ? daemonProcessStatus(workspace.path) : {running: false as const, stalePid: undefined, state: undefined}
  // The running daemon validated this very agent.yaml at start: /api/status has the settings.
  const validated = processStatus.running ? agentYamlValidatedByDaemon(workspace.path, processStatus.state) : undefined
  let config: AgentConfig | undefined
  if (exists && !validated) {
    try {
      // Loaded only here: while the daemon vouches for agent.yaml, `status` parses none (B5 in bench/README.md).
      const {loadAgentConfig} = await import('../config/agent-config.js')
      config = loadAgentConfig(workspace.path)
    } catch (error) {
      warnings.push((error as Error).message)
    }
  } else if (!exists) {
    warnings.push(`no workspace at ${workspace.path} — run \`signet setup\``)
  }
  const agentName = config?.agent.name ?? validated?.agentName
  const report: StatusReport = {
    workspace: {path: workspace.path, source: workspace.source, origin: workspace.origin, exists},
    agent: agentName === undefined ? null : {name: agentName},
    daemon: {running: false, pid: null, url: null, version: null, uptime: null, bindHost: null, networkMode: null, authMode: null},
    storage: null,
    memories: null,
    sessionsToday: null,
    connectors: [],
    keys: null,
    forge: {installed: false, version: null, onPath: false},
    warnings,
  }
  if (config) {
    try {
      const settings = resolveStorageSettings(config)
      report.storage = {backend: settings.backend, location: describeStorage(settings, paths), daemonBackend: null}
    } catch (error) {
      warnings.push((error as Error).message)
    }
    try {
      const listen = resolveListenSettings(config)
      Object.assign(report.daemon, {bindHost: listen.bindHost, networkMode: listen.networkMode, authMode: listen.effectiveAuthMode})
    } catch (error) {
      warnings.push((error as Error).message)
    }
  }

  if (processStatus.stalePid !== undefined) warnings.push(`stale pid file (pid ${processStatus.stalePid} is not running) — \`signet daemon start\` cleans it`)
  const client = processStatus.running ? localDaemonClient(workspace.path) : undefined
  // Keys and today's sessions are asked together with /api/status rather than after it: fewer
  // round trips in a row (B5 in bench/README.md). Both answer null on any failure.
  const keys = client ? countKeys(client) : Promise.resolve(null)
  const sessionsToday = client ? countSessionsToday(client) : Promise.resolve(null)
  const [live, connectors, forge] = await Promise.all([
    client ? client.call('GET /api/status').catch((error: Error) => error) : Promise.resolve(undefined),
    connectorRows(options.connectorContext ?? defaultConnectorContext()),
    // Only whether Forge is installed and its version are shown: no agent.yaml read for its release URL.
    forgeStatus(),
  ])
  report.connectors = connectors
  report.forge = {installed: forge.installed, version: forge.version, onPath: forge.onPath}
  if (live instanceof Error) {
    warnings.push(`the daemon process (pid ${processStatus.pid}) runs but /api/status failed: ${live.message}`)
    report.daemon.running = true
    report.daemon.pid = processStatus.pid ?? null
  } else if (live) {
    report.daemon = {
      running: true,
      pid: live.pid,
      url: live.url,
      version: live.version,
      uptime: live.uptime,
      bindHost: live.bindHost,
      networkMode: live.networkMode,
      authMode: live.authMode,
    }
    report.memories = live.memoryCount
    // Without a fresh parse of agent.yaml (the daemon validated this very file), the daemon says where its data is.
    report.storage ??= {backend: live.storage.backend, location: live.storage.location ?? live.storage.backend, daemonBackend: null}
    if (report.storage) {
      report.storage.daemonBackend = live.storage.backend
      if (live.storage.backend !== report.storage.backend) {
        warnings.push(`the daemon runs on ${live.storage.backend} but agent.yaml now says ${report.storage.backend} — \`signet daemon restart\` to switch`)
      }
    }
    if (live.authModeWarning) warnings.push(live.authModeWarning)
    report.sessionsToday = await sessionsToday
    report.keys = await keys
  } else if (exists) {
    warnings.push('the daemon is not running — `signet daemon start`')
  }
  for (const connector of report.connectors) {
    if (connector.state === 'partial') warnings.push(`${connector.name} connector is incomplete — \`signet connector install ${connector.harness}\``)
    for (const problem of connector.problems) warnings.push(`${connector.name}: ${problem}`)
  }
  return report
}

async function connectorRows(ctx: ConnectorContext): Promise<StatusReport['connectors']> {
  return Promise.all(
    allConnectors().map(async (connector) => {
      try {
        const status = await connector.status(ctx)
        return {
          harness: connector.id,
          name: connector.displayName,
          state: status.state,
          detected: status.detected,
          version: status.version ?? null,
          problems: status.problems,
        }
      } catch (error) {
        return {
          harness: connector.id,
          name: connector.displayName,
          state: 'not-installed' as const,
          detected: false,
          version: null,
          problems: [`cannot read its config: ${(error as Error).message}`],
        }
      }
    }),
  )
}

async function countKeys(client: NonNullable<ReturnType<typeof localDaemonClient>>): Promise<StatusReport['keys']> {
  try {
    const {apiKeys} = await client.call('GET /api/auth/api-keys')
    const count = (status: string) => apiKeys.filter((key) => key.status === status).length
    return {active: count('active'), expired: count('expired'), revoked: count('revoked')}
  } catch {
    return null
  }
}

/** Sessions started since local midnight, through `GET /api/sessions` (newest first, paged); null when that fails. */
async function countSessionsToday(client: NonNullable<ReturnType<typeof localDaemonClient>>): Promise<number | null> {
  const since = Date.parse(startOfToday())
  const pageSize = 200
  let count = 0
  try {
    for (let offset = 0; offset < pageSize * 10; offset += pageSize) {
      const page = await client.call('GET /api/sessions', {query: {limit: pageSize, offset}})
      const today = page.sessions.filter((session) => Date.parse(session.startedAt) >= since)
      count += today.length
      if (today.length < page.sessions.length || page.sessions.length < pageSize) break
    }
    return count
  } catch {
    // a daemon that cannot list sessions (or a key that may not): leave the count out
    return null
  }
}
