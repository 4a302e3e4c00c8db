import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {freePort, RUN_JS} from '../../helpers/cli.js'

export interface DaemonExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface SpawnedDaemon {
  child: ChildProcess
  pid: number
  port: number
  url: string
  /** This start's `.daemon/admin.token`: the owner's credential over loopback TCP (a new one every start). */
  adminToken: string
  /** Headers that make a TCP request the owner's. */
  ownerHeaders(extra?: Record<string, string>): Record<string, string>
  exited: Promise<DaemonExit>
  /** stdout + stderr so far (the daemon's own start-up errors land here). */
  output(): string
  /** Send a signal and wait for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<DaemonExit>
}

export interface SpawnDaemonOptions {
  workspace: string
  env: NodeJS.ProcessEnv
  port?: number
  /** Run the daemon under another program (e.g. `prlimit --fsize=…`): the node command is appended. */
  wrapper?: string[]
  startTimeoutMs?: number
}

/**
 * `signet daemon run` as a real child process (the compiled CLI, as systemd would run it),
 * resolved once /health answers. Rejects with the daemon's own output if it exits first.
 */
export async function spawnDaemon(options: SpawnDaemonOptions): Promise<SpawnedDaemon> {
  const port = options.port ?? (await freePort())
  const command = [...(options.wrapper ?? []), process.execPath, RUN_JS, 'daemon', 'run', '--quiet', '--path', options.workspace]
  const child = spawn(command[0], command.slice(1), {
    env: {...options.env, SIGNET_PORT: String(port)},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<DaemonExit>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})))
  let gone: DaemonExit | undefined
  void exited.then((exit) => (gone = exit))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000)
  while (Date.now() < deadline) {
    if (gone) throw new Error(`daemon exited before answering (${JSON.stringify(gone)}):\n${output}`)
    try {
      const response = await fetch(`${url}/health`, {signal: AbortSignal.timeout(1000)})
      if (response.ok) break
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL')
    throw new Error(`daemon did not answer /health within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`)
  }
  // Written before the daemon listens, so it is this start's token once /health answers.
  const adminToken = readFileSync(path.join(options.workspace, '.daemon', 'admin.token'), 'utf8').trim()
  return {
    child,
    pid: child.pid!,
    port,
    url,
    adminToken,
    ownerHeaders: (extra = {}) => ({authorization: `Bearer ${adminToken}`, ...extra}),
    exited,
    output: () => output,
    kill: async (signal) => {
      if (!gone) child.kill(signal)
      return exited
    },
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
