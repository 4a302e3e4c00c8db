import {spawn} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {fileURLToPath} from 'node:url'

import {type ListenSettings, resolveListenSettings} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {ensurePrivateDir, PRIVATE_FILE_MODE, restrictToOwner, restrictUserConfigToOwner, restrictWorkspaceToOwner} from '../config/private-files.js'
import {SignetError} from '../errors.js'
import {SIGNET_VERSION} from '../version.js'
import {DAEMON_ENV, DAEMON_NODE_FLAGS} from './memory-settings.js'
import type {RunningServer} from './server.js'

/** What a running daemon writes to `.daemon/daemon.json` so the CLI can find it. */
export interface DaemonState {
  pid: number
  url: string
  port: number
  bindHost: string
  startedAt: string
  version: string
  /**
   * agent.yaml as this daemon validated it at start (null: there was none, defaults apply), stamped
   * before it was read, and the agent name it gave. Absent in files from older daemons.
   */
  agentYaml?: FileStamp | null
  agentName?: string
}

/** One version of a file on disk: any write changes ctime (which, unlike mtime, cannot be set back). */
export interface FileStamp {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
}

export function fileStamp(file: string): FileStamp | null {
  const stat = statSync(file, {throwIfNoEntry: false})
  return stat ? {size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino} : null
}

/**
 * What the running daemon learnt from agent.yaml when it validated it at start, while the file
 * is still exactly that one and the daemon is this Signet version; undefined otherwise. Lets
 * `daemon status` and `status` take the settings from the daemon instead of parsing and validating
 * agent.yaml again (≈ 10–15 ms of each, B5 in bench/README.md).
 */
export function agentYamlValidatedByDaemon(workspace: string, state: DaemonState | undefined): {agentName: string} | undefined {
  if (!state || state.version !== SIGNET_VERSION || state.agentYaml === undefined || typeof state.agentName !== 'string') return undefined
  const now = fileStamp(workspacePaths(workspace).agentYaml)
  const then = state.agentYaml
  const same =
    now === null || then === null
      ? now === then
      : now.size === then.size && now.mtimeMs === then.mtimeMs && now.ctimeMs === then.ctimeMs && now.ino === then.ino
  return same ? {agentName: state.agentName} : undefined
}

/**
 * The settings schema (zod and yaml), loaded when a daemon is started or checked: `daemon status`,
 * `status` and the workspace commands import this module and mostly read no agent.yaml (B5 in
 * bench/README.md).
 */
function loadAgentConfigModule(): Promise<typeof import('../config/agent-config.js')> {
  return import('../config/agent-config.js')
}

export interface DaemonProcessStatus {
  running: boolean
  pid?: number
  state?: DaemonState
  /** A pid file was left by a daemon that is no longer alive. */
  stalePid?: number
}

const RUN_JS = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export function readDaemonState(workspace: string): DaemonState | undefined {
  try {
    return JSON.parse(readFileSync(workspacePaths(workspace).stateFile, 'utf8')) as DaemonState
  } catch {
    return undefined
  }
}

export function daemonProcessStatus(workspace: string): DaemonProcessStatus {
  const paths = workspacePaths(workspace)
  const pid = readPid(paths.pidFile) ?? readPid(paths.lockFile)
  if (pid === undefined) return {running: false}
  if (!isProcessAlive(pid)) return {running: false, stalePid: pid}
  return {running: true, pid, state: readDaemonState(workspace)}
}

function removeRuntimeFiles(workspace: string): void {
  const paths = workspacePaths(workspace)
  for (const file of [paths.pidFile, paths.lockFile, paths.stateFile]) rmSync(file, {force: true})
}

/** One daemon per workspace: an exclusive lock file holding our pid; a dead owner's lock is taken over. */
function acquireLock(workspace: string): void {
  const paths = workspacePaths(workspace)
  ensurePrivateDir(paths.daemonDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lockFile, 'wx', PRIVATE_FILE_MODE)
      writeFileSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = readPid(paths.lockFile)
      if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
        throw new SignetError(`a daemon is already running for ${workspace} (pid ${owner}) — stop it with \`signet daemon stop\``, 'already_running')
      }
      removeRuntimeFiles(workspace)
    }
  }
  throw new SignetError(`could not take the daemon lock ${paths.lockFile}`)
}

/**
 * `signet daemon run`: the daemon in this process until SIGTERM/SIGINT, then a clean stop
 * (in-flight requests finish, the database closes, pid and lock files go).
 */
export async function runDaemonInForeground(options: {workspace: string; echoLogs: boolean}): Promise<RunningServer> {
  const {workspace} = options
  // Stamped before it is read: a write after this point changes the stamp, so the CLI never takes a
  // file this check did not see for validated.
  const agentYaml = fileStamp(workspacePaths(workspace).agentYaml)
  const config = (await loadAgentConfigModule()).loadAgentConfig(workspace) // refuse to start on an invalid agent.yaml before touching anything
  acquireLock(workspace)
  // Installs made before every data file was owner-only are repaired on their next start.
  restrictWorkspaceToOwner(workspacePaths(workspace))
  restrictUserConfigToOwner()
  let server: RunningServer
  try {
    // The server (Hono, SQLite, MCP, embedders) loads only here, so status/stop stay fast.
    const {startServer} = await import('./server.js')
    server = await startServer({workspace, echoLogs: options.echoLogs})
  } catch (error) {
    removeRuntimeFiles(workspace)
    throw error
  }
  const paths = workspacePaths(workspace)
  const state: DaemonState = {
    pid: process.pid,
    url: server.url,
    port: server.port,
    bindHost: server.context.listen.bindHost,
    startedAt: new Date(server.context.startedAt).toISOString(),
    version: server.context.version,
    agentYaml,
    agentName: config.agent.name,
  }
  writeFileSync(paths.pidFile, `${process.pid}\n`, {mode: PRIVATE_FILE_MODE})
  writeFileSync(paths.stateFile, JSON.stringify(state, null, 2) + '\n', {mode: PRIVATE_FILE_MODE})
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    server.context.logger.info('shutting down', {signal})
    // Hard stop if draining hangs, so a supervisor's stop never waits forever.
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    server.close().finally(() => {
      removeRuntimeFiles(workspace)
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGHUP', () => shutdown('SIGHUP'))
  return server
}

export interface StartResult {
  pid: number
  url: string
  clearedStalePid?: number
}

/**
 * Everything a new daemon would refuse to start on, checked without touching a running one:
 * agent.yaml, SIGNET_BIND / SIGNET_PORT, a database written by a newer Signet, and (when the
 * port is not the running daemon's own) a port another program holds. `daemon restart` runs this
 * before it stops anything, so a broken config never takes a healthy daemon down.
 */
export async function checkDaemonCanStart(workspace: string): Promise<ListenSettings> {
  const listen = resolveListenSettings((await loadAgentConfigModule()).loadAgentConfig(workspace))
  await refuseDatabaseFromNewerSignet(workspacePaths(workspace).dbPath)
  const running = daemonProcessStatus(workspace)
  const heldByUs = running.running && running.state?.port === listen.port
  if (!heldByUs && listen.port !== 0) {
    const {probeListenPort} = await import('../diagnostics/port-probe.js')
    const port = await probeListenPort(listen.bindHost, listen.port)
    if (!port.free) {
      throw new SignetError(
        `port ${listen.port} on ${listen.bindHost} is ${port.signet ? `held by another Signet daemon (v${port.signet.version})` : port.detail}, so the daemon could not listen — set network.port in agent.yaml or SIGNET_PORT`,
        'port_taken',
      )
    }
  }
  return listen
}

async function refuseDatabaseFromNewerSignet(dbPath: string): Promise<void> {
  // Loaded here only: `daemon status` and `stop` import this file and should not pay for SQLite.
  const {databaseFileSchemaVersion, LATEST_SCHEMA_VERSION} = await import('../store/sqlite/integrity.js')
  // Unreadable files are the daemon's to report, with its own message.
  const version = databaseFileSchemaVersion(dbPath)
  if (version !== undefined && version > LATEST_SCHEMA_VERSION) {
    throw new SignetError(
      `database ${dbPath} has schema version ${version}, newer than this Signet understands (${LATEST_SCHEMA_VERSION}) — upgrade signetai (npm install -g signetai@latest)`,
      'schema_too_new',
    )
  }
}

/** `signet daemon start`: spawn `daemon run` detached and wait until /health answers. */
export async function startDaemonInBackground(options: {workspace: string; timeoutMs?: number}): Promise<StartResult> {
  const {workspace} = options
  const paths = workspacePaths(workspace)
  const listen = resolveListenSettings((await loadAgentConfigModule()).loadAgentConfig(workspace))
  const status = daemonProcessStatus(workspace)
  if (status.running) {
    const where = status.state?.url ? ` at ${status.state.url}` : ''
    throw new SignetError(`the daemon is already running (pid ${status.pid})${where} — use \`signet daemon restart\` to restart it`, 'already_running')
  }
  if (status.stalePid !== undefined) removeRuntimeFiles(workspace)
  ensurePrivateDir(paths.daemonDir)
  ensurePrivateDir(paths.logsDir)
  const logFd = openSync(paths.logFile, 'a', PRIVATE_FILE_MODE)
  restrictToOwner(paths.logFile)
  const logOffset = existsSync(paths.logFile) ? readFileSync(paths.logFile).length : 0
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, RUN_JS, 'daemon', 'run', '--quiet', '--path', workspace], {
    detached: true,
    stdio: ['ignore', 'ignore', logFd],
    env: {...DAEMON_ENV, ...process.env},
  })
  closeSync(logFd)
  let exitCode: number | null = null
  child.once('exit', (code) => {
    exitCode = code ?? 1
  })
  child.unref()
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    if (exitCode !== null) break
    const state = readDaemonState(workspace)
    if (state && state.pid === child.pid && (await healthAnswers(state.url, paths.socketFile))) {
      return {pid: child.pid, url: state.url, clearedStalePid: status.stalePid}
    }
    await delay(100)
  }
  if (exitCode === null && child.pid) {
    try {
      process.kill(child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const tail = readLogTail(paths.logFile, 12, logOffset)
  const reason = exitCode === null ? `did not answer on port ${listen.port} within ${(options.timeoutMs ?? 15_000) / 1000}s` : `exited with code ${exitCode}`
  throw new SignetError(`the daemon ${reason}. Log tail (${paths.logFile}):\n${tail || '(empty)'}`, 'start_failed')
}

export interface StopResult {
  wasRunning: boolean
  pid?: number
  forced?: boolean
  clearedStalePid?: number
}

/** `signet daemon stop`: SIGTERM, wait for the drain, SIGKILL only as a last resort. */
export async function stopDaemon(options: {workspace: string; timeoutMs?: number}): Promise<StopResult> {
  const status = daemonProcessStatus(options.workspace)
  if (!status.running || status.pid === undefined) {
    if (status.stalePid !== undefined) removeRuntimeFiles(options.workspace)
    return {wasRunning: false, clearedStalePid: status.stalePid}
  }
  const pid = status.pid
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + (options.timeoutMs ?? 12_000)
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return {wasRunning: true, pid}
    await delay(50)
  }
  process.kill(pid, 'SIGKILL')
  removeRuntimeFiles(options.workspace)
  return {wasRunning: true, pid, forced: true}
}

/** Does a daemon answer `GET /health` at this URL within a second? */
/**
 * Does the workspace's daemon answer `/health`? Asked through the owner socket when the daemon has
 * one (a process of another user may hold the TCP port; only the owner can listen in `.daemon/`),
 * else at its recorded loopback URL.
 */
export function healthAnswers(url: string, socketPath?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const target = new URL('/health', url)
    const viaSocket = socketPath !== undefined && existsSync(socketPath)
    const request = httpRequest(
      viaSocket
        ? {socketPath, path: '/health', headers: {host: 'localhost'}, timeout: 1000}
        : {host: target.hostname, port: target.port, path: '/health', timeout: 1000},
      (response) => {
        response.resume()
        resolve(response.statusCode === 200)
      },
    )
    request.once('timeout', () => {
      request.destroy()
      resolve(false)
    })
    request.once('error', () => resolve(false))
    request.end()
  })
}

export function readLogTail(file: string, lines: number, fromOffset = 0): string {
  try {
    const text = readFileSync(file, 'utf8').slice(fromOffset)
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
