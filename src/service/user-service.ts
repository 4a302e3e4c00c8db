import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {commitFile, readTextIfExists} from '../config/atomic-file.js'
import {workspacePaths} from '../config/paths.js'
import {daemonProcessStatus, healthAnswers, readDaemonState, stopDaemon} from '../daemon/process.js'
import {findExecutableOnPath} from '../diagnostics/path-lookup.js'
import {SignetError} from '../errors.js'
import {renderLaunchdPlist} from './launchd-plist.js'
import {defaultServiceSpec, isEphemeralInstall, LAUNCHD_LABEL, launchdPlistPath, type ServiceSpec, SYSTEMD_UNIT_NAME, systemdUnitPath} from './service-spec.js'
import {renderSystemdUnit} from './systemd-unit.js'

export type ServiceManager = 'systemd' | 'launchd'

export interface ServiceInstallResult {
  manager: ServiceManager
  file: string
  fileAction: 'created' | 'updated' | 'unchanged'
  /** The manager was asked to enable and start the service. */
  enabled: boolean
  /** Why it was not (no systemctl, no user session bus, --no-enable …). */
  managerUnavailable: string | null
  /** Commands for the user to run themselves when we could not. */
  manualSteps: string[]
  commandsRun: string[]
  stoppedBackgroundPid: number | null
  /** The daemon answered /health after the manager started it. */
  running: boolean
  url: string | null
  warnings: string[]
}

export interface ServiceUninstallResult {
  manager: ServiceManager
  file: string
  removed: boolean
  commandsRun: string[]
  managerUnavailable: string | null
  manualSteps: string[]
}

export function serviceManagerFor(platform: string = process.platform): ServiceManager {
  if (platform === 'linux') return 'systemd'
  if (platform === 'darwin') return 'launchd'
  throw new SignetError(
    `user services are supported on Linux (systemd) and macOS (launchd), not ${platform} — run \`signet daemon run\` under your own supervisor`,
    'unsupported_platform',
  )
}

export function serviceFilePath(manager: ServiceManager, env: NodeJS.ProcessEnv = process.env): string {
  return manager === 'systemd' ? systemdUnitPath(env) : launchdPlistPath()
}

export function renderServiceFile(manager: ServiceManager, spec: ServiceSpec): string {
  return manager === 'systemd' ? renderSystemdUnit(spec) : renderLaunchdPlist(spec)
}

/** The workspace an installed unit/plist runs (its `--path` argument), for doctor and status. */
export function installedServiceWorkspace(manager: ServiceManager, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const text = readTextIfExists(serviceFilePath(manager, env))
  if (!text) return undefined
  if (manager === 'systemd') {
    const exec = /^ExecStart=.*--path\s+("(?:[^"\\]|\\.)*"|\S+)/m.exec(text)?.[1]
    if (!exec) return undefined
    return exec.startsWith('"') ? exec.slice(1, -1).replace(/\\(.)/g, '$1').replaceAll('%%', '%').replaceAll('$$', '$') : exec.replaceAll('%%', '%')
  }
  const match = /<string>--path<\/string>\s*<string>([^<]*)<\/string>/.exec(text)?.[1]
  return match?.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&')
}

interface CommandOutcome {
  ok: boolean
  output: string
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    execFile(file, args, {timeout: 15_000, env}, (error, stdout, stderr) => {
      resolve({ok: !error, output: `${stdout}${stderr}`.trim() || (error ? error.message : '')})
    })
  })
}

/** Can we talk to the user's service manager here? A container usually has systemctl but no user bus. */
async function probeManager(manager: ServiceManager, env: NodeJS.ProcessEnv): Promise<{available: true; binary: string} | {available: false; reason: string}> {
  const name = manager === 'systemd' ? 'systemctl' : 'launchctl'
  const binary = findExecutableOnPath(name, env)
  if (!binary) return {available: false, reason: `${name} is not on PATH`}
  if (manager === 'launchd') return {available: true, binary}
  const probe = await run(binary, ['--user', 'show-environment'], env)
  if (!probe.ok) return {available: false, reason: `no systemd user session (${probe.output.split('\n')[0] || 'systemctl --user failed'})`}
  return {available: true, binary}
}

function manualInstallSteps(manager: ServiceManager, file: string, reason: string | null): string[] {
  if (manager === 'systemd') {
    const steps = [
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${SYSTEMD_UNIT_NAME}`,
      'loginctl enable-linger "$USER"   # keep it running after logout',
    ]
    if (reason?.startsWith('no systemd user session')) {
      steps.push('# in a container without systemd, make `signet daemon run` the container command instead')
    }
    return steps
  }
  return [`launchctl bootstrap gui/$(id -u) ${JSON.stringify(file)}`, `launchctl kickstart -k gui/$(id -u)/${LAUNCHD_LABEL}`]
}

/**
 * `signet daemon install`: write the unit/plist for this workspace, then (when the manager is
 * reachable and `enable` is not false) enable and start it, taking over from a background daemon.
 */
export async function installUserService(options: {
  workspace: string
  enable?: boolean
  platform?: string
  env?: NodeJS.ProcessEnv
  spec?: ServiceSpec
  waitMs?: number
}): Promise<ServiceInstallResult> {
  const env = options.env ?? process.env
  const manager = serviceManagerFor(options.platform)
  const spec = options.spec ?? defaultServiceSpec(options.workspace)
  const file = serviceFilePath(manager, env)
  const warnings: string[] = []
  if (isEphemeralInstall(spec.runJs)) {
    warnings.push(`Signet runs from a temporary npx cache (${spec.runJs}); install it with \`npm install -g signetai\` and re-run \`signet daemon install\``)
  }
  mkdirSync(spec.logsDir, {recursive: true, mode: 0o700})
  const change = commitFile(file, readTextIfExists(file), renderServiceFile(manager, spec), {mode: 0o644})
  // commitFile keeps a one-time backup for user files; our own unit needs none.
  if (change.backup) rmSync(change.backup, {force: true})
  const result: ServiceInstallResult = {
    manager,
    file,
    fileAction: change.action === 'unchanged' ? 'unchanged' : change.action === 'created' ? 'created' : 'updated',
    enabled: false,
    managerUnavailable: null,
    manualSteps: [],
    commandsRun: [],
    stoppedBackgroundPid: null,
    running: false,
    url: null,
    warnings,
  }
  if (options.enable === false) {
    result.managerUnavailable = 'not enabled (--no-enable)'
    result.manualSteps = manualInstallSteps(manager, file, null)
    return result
  }
  const probe = await probeManager(manager, env)
  if (!probe.available) {
    result.managerUnavailable = probe.reason
    result.manualSteps = manualInstallSteps(manager, file, probe.reason)
    return result
  }
  // One daemon per workspace: a `daemon start` process would hold the lock and make the service crash-loop.
  const before = daemonProcessStatus(options.workspace)
  if (before.running && before.pid !== undefined) {
    await stopDaemon({workspace: options.workspace})
    result.stoppedBackgroundPid = before.pid
  }
  const steps: string[][] =
    manager === 'systemd'
      ? [
          ['--user', 'daemon-reload'],
          ['--user', 'enable', SYSTEMD_UNIT_NAME],
          ['--user', 'restart', SYSTEMD_UNIT_NAME],
        ]
      : [
          ['bootout', `gui/${process.getuid?.() ?? 0}/${LAUNCHD_LABEL}`],
          ['bootstrap', `gui/${process.getuid?.() ?? 0}`, file],
        ]
  for (const args of steps) {
    const outcome = await run(probe.binary, args, env)
    result.commandsRun.push(`${path.basename(probe.binary)} ${args.join(' ')}`)
    // bootout of a label that is not loaded fails harmlessly.
    if (!outcome.ok && args[0] !== 'bootout') {
      throw new SignetError(
        `${path.basename(probe.binary)} ${args.join(' ')} failed: ${outcome.output.split('\n')[0]} — the unit is at ${file}`,
        'service_manager_failed',
      )
    }
  }
  result.enabled = true
  const deadline = Date.now() + (options.waitMs ?? 15_000)
  while (Date.now() < deadline) {
    const state = readDaemonState(options.workspace)
    if (state && (await healthAnswers(state.url, workspacePaths(options.workspace).socketFile))) {
      result.running = true
      result.url = state.url
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  if (!result.running) {
    warnings.push(
      manager === 'systemd'
        ? `the service did not answer yet — check \`systemctl --user status ${SYSTEMD_UNIT_NAME}\` and \`signet daemon logs\``
        : `the service did not answer yet — check \`launchctl print gui/$(id -u)/${LAUNCHD_LABEL}\` and ${path.join(spec.logsDir, 'launchd.err.log')}`,
    )
  }
  return result
}

/** `signet daemon uninstall`: stop and disable through the manager when reachable, then remove the file. */
export async function uninstallUserService(options: {platform?: string; env?: NodeJS.ProcessEnv} = {}): Promise<ServiceUninstallResult> {
  const env = options.env ?? process.env
  const manager = serviceManagerFor(options.platform)
  const file = serviceFilePath(manager, env)
  const result: ServiceUninstallResult = {manager, file, removed: false, commandsRun: [], managerUnavailable: null, manualSteps: []}
  if (!existsSync(file)) return result
  const probe = await probeManager(manager, env)
  if (probe.available) {
    const steps = manager === 'systemd' ? [['--user', 'disable', '--now', SYSTEMD_UNIT_NAME]] : [['bootout', `gui/${process.getuid?.() ?? 0}/${LAUNCHD_LABEL}`]]
    for (const args of steps) {
      await run(probe.binary, args, env)
      result.commandsRun.push(`${path.basename(probe.binary)} ${args.join(' ')}`)
    }
  } else {
    result.managerUnavailable = probe.reason
    result.manualSteps = manager === 'systemd' ? [`systemctl --user disable --now ${SYSTEMD_UNIT_NAME}`] : [`launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL}`]
  }
  rmSync(file, {force: true})
  // Without a reachable manager `disable` could not run: drop the enablement link ourselves so nothing dangles.
  if (manager === 'systemd') rmSync(path.join(path.dirname(file), 'default.target.wants', SYSTEMD_UNIT_NAME), {force: true})
  result.removed = true
  if (probe.available && manager === 'systemd') {
    await run(probe.binary, ['--user', 'daemon-reload'], env)
    result.commandsRun.push('systemctl --user daemon-reload')
  }
  return result
}

/** The unit text currently on disk, for tests and `doctor`. */
export function readInstalledServiceFile(manager: ServiceManager, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return existsSync(serviceFilePath(manager, env)) ? readFileSync(serviceFilePath(manager, env), 'utf8') : undefined
}
