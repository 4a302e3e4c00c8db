import {writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {freePort, runCli} from '../helpers/cli.js'
import {overSocket} from '../helpers/daemon.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../helpers/postgres.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/*
 * `signet doctor` and `signet status` on a PostgreSQL workspace, through the built CLI and a daemon
 * it started on the run's cluster: they name the backend with the password masked, and doctor says
 * plainly when embeddings are configured but the server has no pgvector (this cluster has none).
 */

const PASSWORD = 'hunter2secret'

interface Finding {
  level: 'info' | 'warn' | 'error'
  code: string
  message: string
  fix?: string
}

describe.skipIf(!postgresCluster)(`doctor and status on a PostgreSQL backend ${postgresSkipReason}`, () => {
  const databases: TestDatabase[] = []
  let temp: TempHome | undefined
  let env: NodeJS.ProcessEnv

  afterEach(async () => {
    if (temp) {
      await runCli(['daemon', 'stop'], {env})
      temp.cleanup()
      temp = undefined
    }
  })
  afterAll(async () => {
    for (const database of databases) await database.drop()
  })

  /** A workspace on a fresh database, its URL carrying a password (the test cluster trusts loopback, so any password is accepted). */
  async function workspaceOn(options: {embedding: 'local' | 'none'; port?: number}): Promise<{maskedUrl: string}> {
    const database = await createTestDatabase('signet_doctor')
    databases.push(database)
    temp = makeTempHome()
    env = {...temp.env, SIGNET_PORT: String(await freePort()), SIGNET_NO_KEYCHAIN: '1'}
    initWorkspace(temp.workspace)
    const host = `127.0.0.1:${options.port ?? postgresCluster!.port}`
    writeFileSync(
      path.join(temp.workspace, 'agent.yaml'),
      `storage:\n  backend: postgres\n  url: postgres://signet:${PASSWORD}@${host}/${database.name}\nembedding:\n  provider: ${options.embedding}\n`,
    )
    return {maskedUrl: `postgres://signet:***@${host}/${database.name}`}
  }

  async function doctor(): Promise<{code: number; storage: {backend: string; location: string}; findings: Finding[]; output: string}> {
    const result = await runCli(['doctor', '--json'], {env, timeoutMs: 60_000})
    const report = JSON.parse(result.stdout)
    return {code: result.code, storage: report.storage, findings: report.findings, output: result.stdout + result.stderr}
  }

  const byCode = (findings: Finding[], code: string) => findings.find((finding) => finding.code === code)

  it('with the daemon down: names the backend, says the first start migrates, and that pgvector is missing', async () => {
    const {maskedUrl} = await workspaceOn({embedding: 'local'})
    const report = await doctor()
    expect(report.storage).toEqual({backend: 'postgres', location: `PostgreSQL ${maskedUrl}`})
    expect(byCode(report.findings, 'db_migration_pending')).toMatchObject({level: 'info', message: expect.stringContaining(maskedUrl)})
    expect(byCode(report.findings, 'pgvector_missing')).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('pgvector not installed: recall is lexical only'),
    })
    // Not the SQLite file: there is none to check on this backend.
    expect(byCode(report.findings, 'db_missing')).toBeUndefined()
    expect(report.output).not.toContain(PASSWORD)
    const human = await runCli(['doctor'], {env, timeoutMs: 60_000})
    expect(human.stdout).toContain(`storage   PostgreSQL ${maskedUrl}`)
    expect(human.stdout).toMatch(/! warn +pgvector not installed: recall is lexical only/)
  })

  it("with the daemon up: the daemon's own health says pgvector is missing; status names the backend", async () => {
    const {maskedUrl} = await workspaceOn({embedding: 'local'})
    const started = await runCli(['daemon', 'start'], {env, timeoutMs: 60_000})
    expect(started.code, started.stderr).toBe(0)

    const diagnostics = await overSocket(path.join(temp!.workspace, '.daemon', 'signet.sock'), 'GET', '/api/diagnostics/db')
    expect(diagnostics.status).toBe(200)
    expect(JSON.parse(diagnostics.text)).toMatchObject({
      ok: true,
      backend: 'postgres',
      details: {url: maskedUrl, pgvector: false, vectors: 'pgvector not installed: recall is lexical only', pgvectorReason: expect.stringMatching(/vector/)},
    })

    const report = await doctor()
    expect(report.findings.filter((finding) => finding.level === 'error')).toEqual([])
    expect(byCode(report.findings, 'pgvector_missing')).toMatchObject({
      level: 'warn',
      message: expect.stringContaining(`pgvector not installed: recall is lexical only (PostgreSQL at ${maskedUrl}, embedding.provider local)`),
    })
    // The daemon has migrated: nothing is pending any more.
    expect(byCode(report.findings, 'db_migration_pending')).toBeUndefined()
    expect(report.output).not.toContain(PASSWORD)

    const status = await runCli(['status', '--json'], {env})
    expect(JSON.parse(status.stdout).storage).toEqual({backend: 'postgres', location: `PostgreSQL ${maskedUrl}`, daemonBackend: 'postgres'})
    const human = await runCli(['status'], {env})
    expect(human.stdout).toMatch(new RegExp(`storage +PostgreSQL ${maskedUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    expect(human.stdout + human.stderr + status.stdout).not.toContain(PASSWORD)
  })

  it('without embeddings, a missing pgvector is no finding', async () => {
    await workspaceOn({embedding: 'none'})
    const report = await doctor()
    expect(byCode(report.findings, 'pgvector_missing')).toBeUndefined()
  })

  it('a server that does not answer is an error naming it without its password', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const {maskedUrl} = await workspaceOn({embedding: 'local', port: closed})
    const report = await doctor()
    expect(report.code).toBe(1)
    expect(byCode(report.findings, 'storage_unreachable')).toMatchObject({
      level: 'error',
      message: expect.stringContaining(`PostgreSQL at ${maskedUrl} does not answer`),
    })
    expect(report.output).not.toContain(PASSWORD)
  })
})
