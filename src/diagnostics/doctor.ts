import {existsSync, statSync} from 'node:fs'

import type {DatabaseIntegrity as DaemonDatabaseCheck} from '../api/status.js'
import type {ResponseOf} from '../api/contract.js'
import {DaemonRequestError} from '../client/daemon-client.js'
import {type AgentConfig, loadAgentConfig} from '../config/agent-config.js'
import {type ListenSettings, resolveListenSettings} from '../config/network.js'
import {workspacePaths} from '../config/paths.js'
import {filesOpenToOthers} from '../config/private-files.js'
import {resolveStorageSettings, type StorageSettings} from '../config/storage-settings.js'
import type {ResolvedWorkspace} from '../config/workspace.js'
import {type ConnectorContext, type ConnectorStatus, defaultConnectorContext} from '../connectors/connector.js'
import {allConnectors} from '../connectors/registry.js'
import {credentialsFilePath, credentialsFileTooOpen} from '../credentials/credential-store.js'
import {KEYCHAIN_SERVICE, loadKeychain} from '../credentials/keychain.js'
import {daemonProcessStatus} from '../daemon/process.js'
import {forgeFindings, forgeStatus} from '../forge/status.js'
import {defaultServiceSpec, isEphemeralInstall} from '../service/service-spec.js'
import {installedServiceWorkspace, readInstalledServiceFile, renderServiceFile, serviceManagerFor} from '../service/user-service.js'
import {describeStorage} from '../store/open-storage.js'
import {PGVECTOR_MISSING} from '../store/storage.js'
import {SIGNET_VERSION} from '../version.js'
import type {DatabaseIntegrity} from './db-integrity.js'
import type {Finding} from './finding.js'
import {sortFindings} from './finding.js'
import {localDaemonClient} from './local-daemon.js'
import {probeListenPort} from './port-probe.js'

export interface DoctorReport {
  ok: boolean
  workspace: string
  /** Where the data lives as agent.yaml (and SIGNET_DATABASE_URL) say: a PostgreSQL URL never with its password. */
  storage: {backend: StorageSettings['backend']; location: string} | null
  findings: Finding[]
}

export interface DoctorOptions {
  workspace: ResolvedWorkspace
  env?: NodeJS.ProcessEnv
  connectorContext?: ConnectorContext
  /** Read every page of the SQLite database whatever its size (`signet doctor --deep`). */
  deep?: boolean
}

/** Everything `signet doctor` checks, as findings with fixes; never throws for a failed check. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env
  const root = options.workspace.path
  const paths = workspacePaths(root)
  const findings: Finding[] = []
  const add = (finding: Finding) => findings.push(finding)

  let config: AgentConfig | undefined
  let listen: ListenSettings | undefined
  const workspaceExists = existsSync(paths.agentYaml)
  const processStatus = workspaceExists ? daemonProcessStatus(root) : {running: false as const}
  // Asked first, so the daemon answers while agent.yaml is read and validated below; the answers
  // count only once the settings are valid (bench/README.md, "doctor").
  const daemon = processStatus.running ? askDaemon(root, options.deep === true) : undefined
  if (!existsSync(root)) {
    add({
      level: 'error',
      code: 'workspace_missing',
      message: `workspace ${root} (${options.workspace.origin}) does not exist`,
      fix: `signet setup --workspace ${root}`,
    })
  } else if (!statSync(root).isDirectory()) {
    add({level: 'error', code: 'workspace_missing', message: `workspace ${root} is a file, not a directory`, fix: 'signet workspace set <directory>'})
  } else if (!workspaceExists) {
    add({level: 'error', code: 'workspace_missing', message: `${root} has no agent.yaml`, fix: `signet setup --workspace ${root}`})
  } else {
    try {
      config = loadAgentConfig(root)
    } catch (error) {
      add({
        level: 'error',
        code: 'agent_yaml_invalid',
        message: (error as Error).message,
        fix: `edit ${paths.agentYaml}; the daemon refuses to start until it is valid`,
      })
    }
  }
  let storage: StorageSettings | undefined
  if (config) {
    try {
      storage = resolveStorageSettings(config, env)
    } catch (error) {
      add({
        level: 'error',
        code: 'storage_settings_invalid',
        message: (error as Error).message,
        fix: `set storage.url in ${paths.agentYaml} or SIGNET_DATABASE_URL, or storage.backend: sqlite`,
      })
    }
    try {
      listen = resolveListenSettings(config, env)
    } catch (error) {
      add({level: 'error', code: 'listen_settings_invalid', message: (error as Error).message, fix: 'fix SIGNET_BIND / SIGNET_PORT'})
    }
  }
  if (config && listen && listen.networkMode === 'tailscale' && config.auth.mode === 'local') {
    add({
      level: 'warn',
      code: 'network_without_auth',
      message: `the daemon binds ${listen.bindHost} (tailscale) but auth.mode is "local"; it serves as "hybrid" so remote callers need a key`,
      fix: 'set auth.mode: hybrid (or team) in agent.yaml so the file says what runs: signet setup --auth-mode hybrid',
    })
  }

  if (processStatus.stalePid !== undefined) {
    add({
      level: 'warn',
      code: 'stale_pid',
      message: `${paths.pidFile} names pid ${processStatus.stalePid}, which is not running (the daemon did not stop cleanly)`,
      fix: 'signet daemon start (it cleans the stale files)',
    })
  }
  let daemonUp = false
  let keyCounts: {active: number} | undefined
  if (config && listen) {
    if (!processStatus.running) {
      add({
        level: 'error',
        code: 'daemon_down',
        message: `the daemon is not running for ${root} — harness hooks and MCP tools get no memory`,
        fix: 'signet daemon start (or signet daemon install to run it as a service)',
      })
      const port = await probeListenPort(listen.bindHost, listen.port)
      if (!port.free) {
        add(
          port.signet
            ? {
                level: 'error',
                code: 'port_taken',
                message: `port ${listen.port} is taken by another Signet daemon (v${port.signet.version}), probably for another workspace`,
                fix: `stop it (signet daemon stop --path <its workspace>) or set network.port in ${paths.agentYaml}`,
              }
            : {
                level: 'error',
                code: 'port_taken',
                message: `port ${listen.port} on ${listen.bindHost} is ${port.detail}, so the daemon cannot listen`,
                fix: `free the port or set network.port in ${paths.agentYaml} (or SIGNET_PORT)`,
              },
        )
      }
    } else {
      try {
        if (!daemon) throw new Error(`${paths.stateFile} is missing`)
        const status = await daemon.status
        daemonUp = true
        if (status.database.status !== 'ok') {
          add({
            level: 'error',
            code: 'db_file_replaced',
            message: status.database.message ?? `the database file ${paths.dbPath} was ${status.database.status} under the running daemon; it refuses writes`,
            fix: `signet daemon restart (it opens the file now at ${paths.dbPath}; if that is not the database you want, stop the daemon and put the right file back first)`,
          })
        }
        if (status.version !== SIGNET_VERSION) {
          add({
            level: 'warn',
            code: 'version_mismatch',
            message: `the daemon runs Signet ${status.version} but this CLI is ${SIGNET_VERSION}`,
            fix: 'signet daemon restart',
          })
        }
      } catch (error) {
        add({
          level: 'error',
          code: 'daemon_unresponsive',
          message: `the daemon process (pid ${processStatus.pid}) runs but does not answer: ${(error as Error).message}`,
          fix: 'signet daemon restart; see signet daemon logs',
        })
      }
      const keys = await daemon?.keys
      if (daemonUp && keys) keyCounts = {active: keys.apiKeys.filter((key) => key.status === 'active').length}
    }
  }
  if (listen && listen.networkMode === 'tailscale' && keyCounts?.active === 0) {
    add({
      level: 'info',
      code: 'no_api_keys',
      message: 'the daemon is reachable over the network but no API key exists, so no remote harness can connect yet',
      fix: 'signet api-key create --name <machine> (or signet pair)',
    })
  }

  // Independent checks, waited for together (each may wait on the daemon, files or a keychain).
  const [database, connectors, credentials, forge] = await Promise.all([
    databaseFindings(root, daemonUp ? daemon?.database : undefined, storage, config, options.deep === true),
    connectorFindings(config, options.connectorContext ?? defaultConnectorContext({env})),
    credentialFindings(),
    // An invalid agent.yaml is reported above, once: Forge then reads its release URL from the environment or the default.
    forgeStatus({workspace: workspaceExists && config ? root : undefined, env, config}),
  ])
  findings.push(...database)
  if (workspaceExists) findings.push(...privateFileFindings(root))
  findings.push(...connectors, ...credentials, ...forgeFindings(forge))
  findings.push(...serviceFindings(root, env))

  const sorted = sortFindings(findings)
  return {
    ok: !sorted.some((finding) => finding.level === 'error'),
    workspace: root,
    storage: storage ? {backend: storage.backend, location: describeStorage(storage, paths)} : null,
    findings: sorted,
  }
}

/** What doctor knows about a PostgreSQL backend, from the running daemon's health or its own probe. */
interface PostgresFacts {
  url: string
  reachable: boolean
  reason?: string
  problems: string[]
  schemaVersion: number
  latestSchemaVersion: number
  /** undefined when it could not be told (the server did not answer). */
  pgvector?: boolean
  /** Why the daemon could not create the extension, when it tried. */
  pgvectorReason?: string
  checkedBy: 'daemon' | 'doctor'
}

/** What doctor asks the running daemon, all at once. Only `status` may reject: the others settle. */
interface DaemonAnswers {
  status: Promise<ResponseOf<'GET /api/status'>>
  /** undefined when the key list could not be had (it only adds an info finding). */
  keys: Promise<ResponseOf<'GET /api/auth/api-keys'> | undefined>
  database: Promise<{answer: DaemonDatabaseCheck} | {error: unknown}>
}

function askDaemon(root: string, deep: boolean): DaemonAnswers | undefined {
  const client = localDaemonClient(root)
  if (!client) return undefined
  // Checking the file can read every page of it (small files, or --deep): a longer timeout.
  const checker = localDaemonClient(root, 30_000)!
  const status = client.call('GET /api/status')
  // Not awaited before the status: a rejection would otherwise be reported as unhandled first.
  status.catch(() => {})
  return {
    status,
    keys: client.call('GET /api/auth/api-keys').then(
      (keys) => keys,
      () => undefined,
    ),
    database: checker.call('GET /api/diagnostics/db', deep ? {query: {pages: 'true'}} : {}).then(
      (answer) => ({answer}),
      (error: unknown) => ({error}),
    ),
  }
}

async function databaseFindings(
  root: string,
  daemonAnswer: DaemonAnswers['database'] | undefined,
  storage: StorageSettings | undefined,
  config: AgentConfig | undefined,
  deep: boolean,
): Promise<Finding[]> {
  const {dbPath} = workspacePaths(root)
  let integrity: DatabaseIntegrity
  const daemonUp = daemonAnswer !== undefined
  if (daemonAnswer) {
    // The daemon owns the open database while it runs: ask it rather than opening the file here.
    const outcome = await daemonAnswer
    if ('error' in outcome) {
      const error = outcome.error
      const detail = error instanceof DaemonRequestError ? `${error.status} ${error.daemonCode}` : (error as Error).message
      return [
        {
          level: 'info',
          code: 'db_not_checked',
          message: `could not ask the daemon to check the database (${detail})`,
          fix: 'signet daemon restart, then signet doctor',
        },
      ]
    }
    const answer = outcome.answer
    // The daemon says which backend it runs on (it read its environment when it started).
    if (answer.backend === 'postgres') {
      const details = answer.details ?? {}
      const unreachable = answer.problems.includes('unreachable')
      return postgresFindings(
        {
          url: String(details.url ?? storage?.redactedUrl ?? 'PostgreSQL'),
          reachable: !unreachable,
          reason: unreachable ? answer.problems.filter((problem) => problem !== 'unreachable').join('; ') : undefined,
          problems: unreachable ? [] : answer.problems,
          schemaVersion: answer.schemaVersion,
          latestSchemaVersion: answer.latestSchemaVersion,
          pgvector: typeof details.pgvector === 'boolean' ? details.pgvector : undefined,
          pgvectorReason: typeof details.pgvectorReason === 'string' ? details.pgvectorReason : undefined,
          checkedBy: 'daemon',
        },
        config,
      )
    }
    integrity = answer
  } else if (storage?.backend === 'postgres') {
    // Loaded only for a PostgreSQL workspace, like the daemon's storage (src/store/open-storage.ts).
    const {probePostgres} = await import('../store/postgres/probe.js')
    const probe = await probePostgres(storage.url!)
    return postgresFindings(
      {
        url: probe.url,
        reachable: probe.reachable,
        reason: probe.reason,
        problems: probe.reachable && probe.reason ? [probe.reason] : [],
        schemaVersion: probe.schemaVersion ?? 0,
        latestSchemaVersion: probe.latestSchemaVersion,
        pgvector: probe.pgvector?.installed,
        pgvectorReason:
          probe.pgvector && !probe.pgvector.installed && !probe.pgvector.availableOnServer ? 'the vector extension is not available on the server' : undefined,
        checkedBy: 'doctor',
      },
      config,
    )
  } else {
    if (!existsSync(dbPath)) {
      return existsSync(workspacePaths(root).agentYaml)
        ? [{level: 'info', code: 'db_missing', message: `no database yet at ${dbPath}; the daemon creates it on first start`, fix: 'signet daemon start'}]
        : []
    }
    try {
      // The SQLite driver (a native module, ≈ 8 ms to load) only when doctor opens the file itself.
      const {checkDatabaseFile} = await import('./db-integrity.js')
      integrity = checkDatabaseFile(dbPath, {quickCheck: deep || 'auto'})
    } catch (error) {
      return [
        {
          level: 'error',
          code: 'db_unreadable',
          message: `${dbPath} cannot be opened as a SQLite database: ${(error as Error).message}`,
          fix: `move it aside and restore a backup (${dbPath}.backup-*), or start fresh`,
        },
      ]
    }
  }
  const findings: Finding[] = []
  if (!integrity.pagesChecked) {
    findings.push({
      level: 'info',
      code: 'db_pages_not_checked',
      message: `${dbPath} is ${Math.round(integrity.sizeBytes / 1024 / 1024)} MB: its schema was checked, but not every page (that takes seconds at this size)`,
      fix: 'signet doctor --deep',
    })
  }
  if (!integrity.ok) {
    findings.push({
      level: 'error',
      code: 'db_integrity',
      message: `PRAGMA quick_check found problems in ${dbPath}: ${integrity.problems.slice(0, 3).join('; ')}`,
      fix: `stop the daemon, keep a copy, then recover with: sqlite3 ${dbPath} .recover | sqlite3 recovered.db (or restore ${dbPath}.backup-*)`,
    })
  }
  if (integrity.schemaVersion > integrity.latestSchemaVersion) {
    findings.push({
      level: 'error',
      code: 'db_schema_too_new',
      message: `${dbPath} has schema ${integrity.schemaVersion}, newer than this Signet understands (${integrity.latestSchemaVersion})`,
      fix: 'npm install -g signetai@latest',
    })
  } else if (integrity.schemaVersion < integrity.latestSchemaVersion && !daemonUp) {
    findings.push({
      level: 'info',
      code: 'db_migration_pending',
      message: `${dbPath} is at schema ${integrity.schemaVersion}; the next daemon start migrates it to ${integrity.latestSchemaVersion} (with a backup)`,
      fix: 'signet daemon start',
    })
  }
  return findings
}

/** A PostgreSQL backend: can it be reached, is its schema one this Signet reads, and are vectors possible. */
function postgresFindings(facts: PostgresFacts, config: AgentConfig | undefined): Finding[] {
  const where = `PostgreSQL at ${facts.url}`
  const setting = 'storage.url in agent.yaml or SIGNET_DATABASE_URL'
  if (!facts.reachable) {
    return [
      {
        level: 'error',
        code: 'storage_unreachable',
        message: `${where} does not answer${facts.reason ? `: ${facts.reason}` : ''}`,
        fix:
          facts.checkedBy === 'daemon'
            ? 'start the server (or fix the network to it); the daemon refuses writes until it answers and notices by itself when it does'
            : `start the server, or fix ${setting}; the daemon cannot start without it`,
      },
    ]
  }
  const findings: Finding[] = []
  if (facts.problems.length > 0) {
    findings.push({
      level: 'error',
      code: 'db_integrity',
      message: `${where}: ${facts.problems.slice(0, 3).join('; ')}`,
      fix: 'signet daemon restart (it migrates the schema when it starts); see signet daemon logs',
    })
  }
  if (facts.schemaVersion > facts.latestSchemaVersion) {
    findings.push({
      level: 'error',
      code: 'db_schema_too_new',
      message: `${where} has schema ${facts.schemaVersion}, newer than this Signet understands (${facts.latestSchemaVersion})`,
      fix: 'npm install -g signetai@latest',
    })
  } else if (facts.schemaVersion < facts.latestSchemaVersion && facts.checkedBy === 'doctor') {
    const state = facts.schemaVersion === 0 ? 'has no Signet schema yet' : `is at schema ${facts.schemaVersion}`
    findings.push({
      level: 'info',
      code: 'db_migration_pending',
      message: `${where} ${state}; the next daemon start migrates it to ${facts.latestSchemaVersion}`,
      fix: 'signet daemon start',
    })
  }
  const provider = config?.embedding.provider ?? 'none'
  if (provider !== 'none' && facts.pgvector === false) {
    // Said plainly: embeddings are configured but recall cannot use them on this server.
    const noPackage = !facts.pgvectorReason || /not available|could not open extension control file/i.test(facts.pgvectorReason)
    findings.push({
      level: 'warn',
      code: 'pgvector_missing',
      message: `${PGVECTOR_MISSING} (${where}, embedding.provider ${provider})${facts.pgvectorReason ? ` — ${facts.pgvectorReason}` : ''}`,
      fix: noPackage
        ? 'install pgvector on the PostgreSQL server (its package for your PostgreSQL version), then signet daemon restart (it creates the extension); or set embedding.provider: none'
        : 'have a superuser run CREATE EXTENSION vector in that database, then signet daemon restart; or set embedding.provider: none',
    })
  }
  return findings
}

function privateFileFindings(root: string): Finding[] {
  const open = filesOpenToOthers(workspacePaths(root))
  if (open.length === 0) return []
  const shown = open.slice(0, 5).join(', ') + (open.length > 5 ? ` and ${open.length - 5} more` : '')
  return [
    {
      level: 'error',
      code: 'data_files_open',
      message: `other local users can read Signet data (memories, transcripts, keys or logs): ${shown}`,
      fix: `signet daemon restart (the daemon makes them owner-only when it starts), or chmod -R go-rwx ${workspacePaths(root).memoryDir} ${workspacePaths(root).daemonDir}`,
    },
  ]
}

async function connectorFindings(config: AgentConfig | undefined, ctx: ConnectorContext): Promise<Finding[]> {
  const configured = new Set(config?.harnesses ?? [])
  const statuses = await Promise.all(
    allConnectors().map(async (connector) => {
      try {
        return {connector, status: await connector.status(ctx)}
      } catch (error) {
        return {connector, error: error as Error}
      }
    }),
  )
  const findings: Finding[] = []
  for (const entry of statuses) {
    const {connector} = entry
    const install = `signet connector install ${connector.id}`
    if ('error' in entry) {
      findings.push({
        level: 'warn',
        code: 'connector_unreadable',
        message: `${connector.displayName}: could not read its config (${entry.error?.message})`,
        fix: `fix the file, then ${install}`,
      })
      continue
    }
    const status = entry.status as ConnectorStatus
    if (status.state === 'partial') {
      const missing = status.files.filter((file) => !file.present).map((file) => `${file.what} in ${file.path}`)
      findings.push({
        level: 'warn',
        code: 'connector_partial',
        message: `${connector.displayName} connector is incomplete or was edited: missing ${missing.join(', ')}`,
        fix: install,
      })
    } else if (status.state === 'not-installed' && configured.has(connector.id)) {
      findings.push({level: 'warn', code: 'connector_missing', message: `agent.yaml lists ${connector.id} but its connector is not installed`, fix: install})
    }
    for (const problem of status.problems) {
      findings.push({level: 'warn', code: 'connector_out_of_date', message: `${connector.displayName}: ${problem}`, fix: install})
    }
  }
  return findings
}

async function credentialFindings(): Promise<Finding[]> {
  const findings: Finding[] = []
  if (credentialsFileTooOpen()) {
    findings.push({
      level: 'error',
      code: 'credentials_file_open',
      message: `${credentialsFilePath()} is readable by other users`,
      fix: `chmod 600 ${credentialsFilePath()}`,
    })
  }
  const keychain = await loadKeychain()
  let usable = keychain !== null
  if (keychain) {
    // keytar loads on headless Linux but fails on first use without a Secret Service: try one read.
    usable = await Promise.race([
      keychain.getPassword(KEYCHAIN_SERVICE, 'doctor-probe').then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
    ])
  }
  if (!usable) {
    findings.push({
      level: 'info',
      code: 'keychain_unavailable',
      message: `no OS keychain here; remote connector keys are kept in ${credentialsFilePath()} (mode 0600)`,
      fix: 'nothing to do on a headless machine; on a desktop, install libsecret (Linux) to use the keychain',
    })
  }
  return findings
}

function serviceFindings(root: string, env: NodeJS.ProcessEnv): Finding[] {
  let manager
  try {
    manager = serviceManagerFor()
  } catch {
    return []
  }
  const serviceWorkspace = installedServiceWorkspace(manager, env)
  if (serviceWorkspace && serviceWorkspace !== root) {
    return [
      {
        level: 'warn',
        code: 'service_other_workspace',
        message: `the installed ${manager} service runs the daemon for ${serviceWorkspace}, not the active workspace ${root}`,
        fix: 'signet daemon install (rewrites it for the active workspace)',
      },
    ]
  }
  return serviceWorkspace ? outdatedServiceFindings(manager, root, env) : []
}

/**
 * The installed service for this workspace, against what `signet daemon install` writes now. A unit
 * written by an earlier version keeps that version's daemon settings (node flags, environment such as
 * MALLOC_ARENA_MAX: docs/deployment.md) until it is rewritten; one naming another Node.js or another
 * Signet install runs that one. Not judged from a throwaway npx copy, which must never be installed.
 */
function outdatedServiceFindings(manager: ReturnType<typeof serviceManagerFor>, root: string, env: NodeJS.ProcessEnv): Finding[] {
  const spec = defaultServiceSpec(root)
  if (isEphemeralInstall(spec.runJs)) return []
  const installed = readInstalledServiceFile(manager, env)
  if (installed === undefined || installed === renderServiceFile(manager, spec)) return []
  // A path with characters the file escapes (%, $, quotes, XML's &<>) is not found as typed: then the
  // message names the paths, and the fix is the same.
  const runsThis = installed.includes(spec.nodePath) && installed.includes(spec.runJs)
  return [
    {
      level: 'warn',
      code: 'service_outdated',
      message: runsThis
        ? `the installed ${manager} service was written by an earlier version of Signet: it starts the daemon with other settings than this version's`
        : `the installed ${manager} service runs another Node.js or Signet install than this one (${spec.nodePath}, ${spec.runJs})`,
      fix: 'signet daemon install (rewrites it for this install and restarts the daemon under the service manager)',
    },
  ]
}
