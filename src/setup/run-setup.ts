import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {loadAgentConfig} from '../config/agent-config.js'
import {type AuthMode} from '../config/network.js'
import {defaultWorkspacePath} from '../config/paths.js'
import {readSavedWorkspace, saveWorkspace} from '../config/user-config.js'
import {initWorkspace, isWorkspace} from '../config/workspace.js'
import {connectHarness} from '../connectors/connect-harness.js'
import {type ConnectorContext, defaultConnectorContext} from '../connectors/connector.js'
import {daemonProcessStatus, startDaemonInBackground, stopDaemon} from '../daemon/process.js'
import {localDaemonClient} from '../diagnostics/local-daemon.js'
import {SignetError} from '../errors.js'
import type {HarnessId} from '../harnesses/registry.js'
import {installUserService, type ServiceInstallResult} from '../service/user-service.js'
import {editAgentYaml} from './agent-yaml-edit.js'
import {writeStarterFiles} from './workspace-starter-files.js'

/** The answers setup acts on; `undefined` means "leave what is there" (or the default for a new workspace). */
export interface SetupPlan {
  workspace: string
  agentName?: string
  networkMode?: 'localhost' | 'tailscale'
  authMode?: AuthMode
  harnesses: HarnessId[]
  start: boolean
  installService: boolean
}

export interface SetupResult {
  workspace: {path: string; created: boolean; saved: boolean; envOverride: string | null; starterFiles: string[]}
  agentYaml: {path: string; changed: string[]}
  config: {name: string; networkMode: string; authMode: string; port: number; harnesses: string[]}
  harnesses: Array<{harness: string; files: Array<{path: string; action: string}>; notes: string[]; error?: string}>
  daemon: {action: 'started' | 'restarted' | 'already-running' | 'not-started'; url: string | null; pid: number | null}
  service: ServiceInstallResult | null
  warnings: string[]
  nextSteps: string[]
}

export interface SetupHooks {
  onStep?: (text: string) => void
  connectorContext?: ConnectorContext
}

/** Keys whose change means a running daemon must restart to apply it. */
const RESTART_KEYS = new Set(['network.mode', 'auth.mode'])

export async function runSetup(plan: SetupPlan, hooks: SetupHooks = {}): Promise<SetupResult> {
  const step = hooks.onStep ?? (() => {})
  const workspace = path.resolve(plan.workspace)
  const warnings: string[] = []
  if (existsSync(workspace) && !statSync(workspace).isDirectory()) {
    throw new SignetError(`${workspace} is a file, not a directory — choose another --workspace`, 'not_a_directory')
  }

  // 1. Workspace and agent.yaml: create when new, otherwise change only what was asked.
  const created = !isWorkspace(workspace)
  if (created) {
    step(`Creating workspace ${workspace}`)
    initWorkspace(workspace, {agentName: plan.agentName})
  }
  // A workspace from an older version gains the identity files and skills it lacks; existing ones stay as they are.
  const starterFiles = created ? [] : writeStarterFiles(workspace)
  let authMode = plan.authMode
  const current = loadAgentConfig(workspace)
  const networkMode = plan.networkMode ?? current.network.mode
  if (networkMode === 'tailscale') {
    if (authMode === 'local') {
      throw new SignetError(
        '--network-mode tailscale needs --auth-mode hybrid or team: a daemon on the tailnet must ask remote callers for an API key',
        'invalid_flags',
      )
    }
    if (authMode === undefined && current.auth.mode === 'local') {
      authMode = 'hybrid'
      warnings.push('auth.mode set to "hybrid" because the daemon now listens on the tailnet (remote callers need an API key)')
    }
  }
  const edit = editAgentYaml(workspace, {name: plan.agentName, networkMode: plan.networkMode, authMode, addHarnesses: plan.harnesses})
  const config = loadAgentConfig(workspace)

  // 2. Make this workspace the one every later command, hook and MCP server finds.
  const savedPath = readSavedWorkspace()
  const saved = savedPath ? path.resolve(savedPath) !== workspace : workspace !== defaultWorkspacePath()
  if (saved) await saveWorkspace(workspace)
  const envVariable = process.env.SIGNET_WORKSPACE ? 'SIGNET_WORKSPACE' : process.env.SIGNET_PATH ? 'SIGNET_PATH' : null
  if (envVariable && path.resolve(process.env[envVariable]!) !== workspace) {
    warnings.push(`${envVariable}=${process.env[envVariable]} is set and wins over the saved workspace in this shell — unset it or point it at ${workspace}`)
  }

  // 3. Connector files for each chosen harness (the connectors module owns every harness file).
  const ctx = hooks.connectorContext ?? defaultConnectorContext()
  const harnessResults: SetupResult['harnesses'] = []
  for (const harness of plan.harnesses) {
    step(`Connecting ${harness}`)
    try {
      const outcome = await connectHarness({harness, workspace}, ctx)
      harnessResults.push({
        harness,
        files: outcome.install.files.map((file) => ({path: file.path, action: file.action})),
        notes: [...outcome.install.notes, ...outcome.warnings],
      })
    } catch (error) {
      harnessResults.push({harness, files: [], notes: [], error: (error as Error).message})
      warnings.push(`${harness}: ${(error as Error).message}`)
    }
  }

  // 4. The daemon: start it, or restart it when a setting it reads at start changed.
  let daemon: SetupResult['daemon'] = {action: 'not-started', url: null, pid: null}
  const running = daemonProcessStatus(workspace)
  if (plan.start) {
    const needsRestart = running.running && edit.changed.some((key) => RESTART_KEYS.has(key))
    if (running.running && !needsRestart) {
      daemon = {action: 'already-running', url: running.state?.url ?? null, pid: running.pid ?? null}
    } else {
      if (needsRestart) {
        step('Restarting the daemon to apply the new network/auth settings')
        await stopDaemon({workspace})
      } else {
        step('Starting the daemon')
      }
      const started = await startDaemonInBackground({workspace})
      daemon = {action: needsRestart ? 'restarted' : 'started', url: started.url, pid: started.pid}
    }
    if (edit.changed.includes('harnesses')) {
      // The daemon copies AGENTS.md into each configured harness: do it now for the new ones.
      await localDaemonClient(workspace)
        ?.call('POST /api/harnesses/regenerate')
        .catch(() => undefined)
    }
  } else if (running.running && edit.changed.some((key) => RESTART_KEYS.has(key))) {
    warnings.push('the running daemon still uses the old network/auth settings — `signet daemon restart` to apply them')
  }

  // 5. Optionally hand the daemon to the OS service manager.
  let service: ServiceInstallResult | null = null
  if (plan.installService) {
    step('Installing the user service')
    service = await installUserService({workspace})
    if (service.running && service.url)
      daemon = {action: daemon.action === 'not-started' ? 'started' : daemon.action, url: service.url, pid: daemonProcessStatus(workspace).pid ?? null}
  }

  const nextSteps: string[] = []
  if (config.network.mode === 'tailscale') nextSteps.push('signet pair --connector <harness>   # connect a harness on another machine')
  if (config.harnesses.length === 0) nextSteps.push('signet connector list   # see which harnesses are on this machine, then signet connect <harness>')
  if (daemon.action === 'not-started' && !service?.running) nextSteps.push('signet daemon start')
  nextSteps.push('signet doctor')

  return {
    workspace: {path: workspace, created, saved, envOverride: envVariable, starterFiles},
    agentYaml: {path: edit.file, changed: edit.changed},
    config: {name: config.agent.name, networkMode: config.network.mode, authMode: config.auth.mode, port: config.network.port, harnesses: config.harnesses},
    harnesses: harnessResults,
    daemon,
    service,
    warnings,
    nextSteps,
  }
}
