import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {stringify} from 'yaml'

import {initWorkspace} from '../../../src/config/workspace.js'
import {spawnDaemon, type DaemonExit, type SpawnedDaemon} from '../../reliability/support/spawned-daemon.js'
import {makeTempHome, type TempHome} from '../../helpers/temp-home.js'
import {jsonRequest, type JsonAnswer, type JsonRequestOptions} from './http.js'

/**
 * Several real daemons on one PostgreSQL database: each is `signet daemon run` (the built CLI) in a
 * workspace and HOME of its own, on its own port, in `team` auth mode, with SIGNET_DATABASE_URL
 * naming the shared database — as a team would run one per machine.
 */
export interface TeamDaemon {
  name: string
  temp: TempHome
  workspace: string
  url: string
  pid: number
  process: SpawnedDaemon
  /** A JSON request with no credential of its own (pass a key in `headers`). */
  request(method: string, path: string, options?: JsonRequestOptions): Promise<JsonAnswer>
  /** A request as this daemon's owner (its own admin token, over loopback TCP). */
  owner(method: string, path: string, options?: JsonRequestOptions): Promise<JsonAnswer>
  /** A request with an API key. */
  withKey(key: string, method: string, path: string, options?: JsonRequestOptions): Promise<JsonAnswer>
  kill(signal: NodeJS.Signals): Promise<DaemonExit>
  /** Start the daemon again in the same workspace and HOME (after a kill); this handle then stands for the new process. */
  restart(): Promise<TeamDaemon>
  stop(): Promise<void>
}

export interface TeamOptions {
  databaseUrl: string
  count?: number
  /** Settings merged into every daemon's agent.yaml (top-level keys replace the defaults'). */
  agentYaml?: Record<string, unknown>
  /** Each daemon's AGENTS.md, by index (default: one naming the daemon). */
  agentsMd?: (index: number, name: string) => string
  /** Start them all at once (machines booting together on an empty database) rather than one by one. */
  together?: boolean
}

export const DAEMON_NAMES = ['A', 'B', 'C', 'D', 'E']

export async function startTeam(options: TeamOptions): Promise<TeamDaemon[]> {
  const count = options.count ?? 3
  if (options.together) {
    const started = await Promise.allSettled(Array.from({length: count}, (_, index) => startTeamDaemon(index, options)))
    const failed = started.find((outcome) => outcome.status === 'rejected')
    if (!failed) return started.map((outcome) => (outcome as PromiseFulfilledResult<TeamDaemon>).value)
    await Promise.all(started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.stop() : undefined)))
    throw failed.reason
  }
  const daemons: TeamDaemon[] = []
  try {
    for (let index = 0; index < count; index++) daemons.push(await startTeamDaemon(index, options))
  } catch (error) {
    await Promise.all(daemons.map((daemon) => daemon.stop()))
    throw error
  }
  return daemons
}

async function startTeamDaemon(index: number, options: TeamOptions): Promise<TeamDaemon> {
  const name = DAEMON_NAMES[index]
  const temp = makeTempHome(`signet-team-${name.toLowerCase()}-`)
  initWorkspace(temp.workspace)
  const config = {
    version: 1,
    agent: {name: `daemon-${name}`},
    network: {mode: 'localhost'},
    auth: {mode: 'team'},
    storage: {backend: 'postgres', poolSize: 10},
    embedding: {provider: 'none'},
    harnesses: [],
    ...options.agentYaml,
  }
  writeFileSync(path.join(temp.workspace, 'agent.yaml'), stringify(config))
  writeFileSync(
    path.join(temp.workspace, 'AGENTS.md'),
    options.agentsMd?.(index, name) ?? `# Daemon ${name}\n\nInstructions kept in daemon ${name}'s workspace.\n`,
  )
  // The URL through the environment, as docs/postgres.md recommends for anything holding a password;
  // every answer is checked against the API contract, as in the in-process tests.
  const env = {...temp.env, SIGNET_DATABASE_URL: options.databaseUrl, SIGNET_CHECK_ANSWERS: '1'}
  let spawned: SpawnedDaemon
  try {
    spawned = await spawnDaemon({workspace: temp.workspace, env, startTimeoutMs: 30_000})
  } catch (error) {
    temp.cleanup()
    throw error
  }
  const auth = (headers: Record<string, string> | undefined, credential: string) => ({authorization: `Bearer ${credential}`, ...headers})
  let stopped = false
  const daemon: TeamDaemon = {
    name,
    temp,
    workspace: temp.workspace,
    url: spawned.url,
    pid: spawned.pid,
    process: spawned,
    request: (method, route, requestOptions) => jsonRequest(daemon.url, method, route, requestOptions),
    owner: (method, route, requestOptions = {}) =>
      jsonRequest(daemon.url, method, route, {...requestOptions, headers: auth(requestOptions.headers, daemon.process.adminToken)}),
    withKey: (key, method, route, requestOptions = {}) =>
      jsonRequest(daemon.url, method, route, {...requestOptions, headers: auth(requestOptions.headers, key)}),
    kill: (signal) => daemon.process.kill(signal),
    restart: async () => {
      await daemon.process.kill('SIGKILL')
      // The same port: clients configured with this daemon's address find it again.
      const again = await spawnDaemon({workspace: temp.workspace, env, port: daemon.process.port, startTimeoutMs: 30_000})
      Object.assign(daemon, {process: again, pid: again.pid, url: again.url})
      return daemon
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      const timer = setTimeout(() => daemon.process.child.kill('SIGKILL'), 10_000)
      await daemon.process.kill('SIGTERM')
      clearTimeout(timer)
      temp.cleanup()
    },
  }
  return daemon
}

export interface CreatedKey {
  id: string
  prefix: string
  key: string
}

/** A key created through `daemon` by its owner. */
export async function createKey(daemon: TeamDaemon, body: Record<string, unknown>): Promise<CreatedKey> {
  const answer = await daemon.owner('POST', '/api/auth/api-keys', {body})
  if (answer.status !== 201) throw new Error(`creating a key on ${daemon.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  return {id: answer.body.apiKey.id, prefix: answer.body.apiKey.prefix, key: answer.body.apiKey.key}
}
