import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {COPIED_TABLES} from '../../src/store/sqlite/table-copy.js'
import {freePort, RUN_JS, runCli} from '../helpers/cli.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../helpers/postgres.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/*
 * `signet storage migrate` through the built CLI, in temp HOMEs, with data written by a real
 * daemon: SQLite → PostgreSQL (a daemon then runs on the copy: recall, a migrated key), back to a
 * fresh SQLite file and into the workspace's own file, a run killed mid-copy that resumes, and
 * the refusals (a running daemon, a target holding another store's data). A password in the
 * URL must never reach output, the checkpoint file or agent.yaml. The PostgreSQL parts skip
 * (visibly) without a server; the rest runs on SQLite alone.
 */

/** In every PostgreSQL URL given to the CLI (the test cluster trusts local connections and ignores it). */
const SECRET = 'pw-Zq81-never-printed'

const withSecret = (url: string) => url.replace('postgres://signet@', `postgres://signet:${SECRET}@`)

const AGENT_YAML = `# A team workspace (test): this comment must survive --switch.
version: 1
agent:
  name: "team"
network:
  mode: localhost # loopback only in this test
auth:
  mode: team # keys required over TCP
harnesses: []
`

interface Workspace {
  temp: TempHome
  env: NodeJS.ProcessEnv
  dbPath: string
  daemonDir: string
}

const homes: TempHome[] = []

async function makeWorkspace(agentYaml = AGENT_YAML): Promise<Workspace> {
  const temp = makeTempHome('signet-migrate-')
  homes.push(temp)
  mkdirSync(temp.workspace, {recursive: true})
  writeFileSync(path.join(temp.workspace, 'agent.yaml'), agentYaml)
  return {
    temp,
    env: {...temp.env, SIGNET_PORT: String(await freePort())},
    dbPath: path.join(temp.workspace, 'memory', 'memories.db'),
    daemonDir: path.join(temp.workspace, '.daemon'),
  }
}

async function cli(args: string[], env: NodeJS.ProcessEnv, options: {input?: string; code?: number} = {}) {
  const run = await runCli(args, {env, input: options.input, timeoutMs: 120_000})
  if (run.code !== (options.code ?? 0)) throw new Error(`signet ${args.join(' ')} exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
  return run
}

/** Row counts of every copied table in a SQLite file, read-only. */
function sqliteCounts(file: string): Record<string, number> {
  const db = new Database(file, {readonly: true})
  try {
    return Object.fromEntries(COPIED_TABLES.map(({name}) => [name, (db.prepare(`SELECT count(*) AS n FROM ${name}`).get() as {n: number}).n]))
  } finally {
    db.close()
  }
}

async function postgresCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const counts: Record<string, number> = {}
    for (const {name} of COPIED_TABLES) counts[name] = (await client.query<{n: number}>(`SELECT count(*)::int AS n FROM ${name}`)).rows[0].n
    return counts
  } finally {
    await client.end()
  }
}

function expectNoSecret(...texts: string[]) {
  for (const text of texts) expect(text).not.toContain(SECRET)
}

/** A workspace with some of everything, written through its daemon; the daemon is left running. */
async function seed(workspace: Workspace): Promise<{key: string}> {
  const {env} = workspace
  await cli(['daemon', 'start'], env)
  for (const fact of [
    'The staging database listens on port 5433',
    'Deploys go out on Tuesdays after the standup',
    'The quokka cluster runs on ARM nodes in Frankfurt',
  ]) {
    await cli(['remember', fact], env)
  }
  await cli(['remember', 'Reviewer prefers small pull requests', '--agent-id', 'reviewer'], env)
  const key = JSON.parse((await cli(['api-key', 'create', '--name', 'ci', '--agent-id', 'codex', '--json'], env)).stdout).apiKey.key as string
  // A session (and presence, a sighting) through the real hook, and a message between agents.
  await cli(['hook', 'session-start', '-H', 'claude-code'], env, {
    input: JSON.stringify({session_id: 'sess-migrate-1', cwd: workspace.temp.home, hook_event_name: 'SessionStart'}),
  })
  await cli(['agent', 'send', 'codex', 'The API schema changed: regenerate the client'], env)
  return {key}
}

afterAll(() => {
  for (const home of homes) home.cleanup()
})

describe('signet storage migrate on SQLite', () => {
  let workspace: Workspace

  beforeAll(async () => {
    workspace = await makeWorkspace()
    await seed(workspace)
  }, 120_000)

  afterAll(async () => {
    await runCli(['daemon', 'stop'], {env: workspace.env})
  })

  it('refuses while the workspace daemon runs, saying to stop it, and leaves nothing behind', async () => {
    const target = path.join(workspace.temp.home, 'refused.db')
    const run = await cli(['storage', 'migrate', '--to', target], workspace.env, {code: 1})
    expect(run.stderr).toMatch(
      /Error: the daemon for .* is running \(pid \d+\) — stop it first with `signet daemon stop`: a copy of a store that is being written cannot be verified/,
    )
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(workspace.daemonDir).filter((name) => name.startsWith('storage-migrate'))).toEqual([])
  })

  it("copies to a SQLite file, verified table by table, and refuses a target holding another store's data unless --force", async () => {
    await cli(['daemon', 'stop'], workspace.env)
    const target = path.join(workspace.temp.home, 'backup.db')
    const run = await cli(['storage', 'migrate', '--to', `sqlite:${target}`, '--batch-size', '2'], workspace.env)
    expect(run.stdout).toMatch(/^table\s+source rows\s+target rows\s+content \(sha256\)$/m)
    for (const {name} of COPIED_TABLES) expect(run.stdout).toMatch(new RegExp(`^${name}\\s+[\\d,]+\\s+[\\d,]+\\s+same [0-9a-f]{12}$`, 'm'))
    expect(run.stdout).toMatch(/✓ SQLite .*backup\.db is a verified copy of SQLite .*memories\.db: [\d,]+ rows in 13 tables/)
    expect(run.stdout).toMatch(/is a separate copy/)
    // Without a terminal: a line per table on stderr.
    expect(run.stderr).toMatch(/^memories: 4 rows copied$/m)
    expect(run.stderr).toMatch(/^api_keys: 1 row copied$/m)
    expect(sqliteCounts(target)).toEqual(sqliteCounts(workspace.dbPath))
    expect(sqliteCounts(target).agent_messages).toBe(1)
    expect(sqliteCounts(target).sessions).toBe(1)

    // Another workspace's store is not a target to overwrite by accident.
    const other = await makeWorkspace()
    await cli(['daemon', 'start'], other.env)
    await cli(['remember', 'A fact of another workspace entirely'], other.env)
    await cli(['daemon', 'stop'], other.env)
    const refused = await cli(['storage', 'migrate', '--to', target], other.env, {code: 1})
    expect(refused.stderr).toMatch(
      /Error: the target SQLite .*backup\.db already holds data that is not from this source: api_keys \(1 row\), memories \(4 rows\).* add --force to delete those rows/,
    )
    const forced = await cli(['storage', 'migrate', '--to', target, '--force', '--json'], other.env)
    const report = JSON.parse(forced.stdout)
    expect(report.ok).toBe(true)
    expect(report.removedOtherData).toEqual(
      expect.arrayContaining([
        {table: 'memories', rows: 4},
        {table: 'api_keys', rows: 1},
      ]),
    )
    expect(sqliteCounts(target)).toEqual(sqliteCounts(other.dbPath))
  }, 120_000)

  it('refuses the same store as source and target, and an unknown scheme, naming the flag', async () => {
    expect((await cli(['storage', 'migrate', '--to', workspace.dbPath], workspace.env, {code: 1})).stderr).toMatch(
      /the source and the target are the same store/,
    )
    expect((await cli(['storage', 'migrate', '--to', 'mysql://root:hunter2@db/x'], workspace.env, {code: 1})).stderr).toMatch(
      /--to is neither a PostgreSQL URL/,
    )
    expect((await cli(['storage', 'migrate', '--to-env'], workspace.env, {code: 1})).stderr).toMatch(/SIGNET_MIGRATE_TO_URL is not set/)
    expect((await cli(['storage', 'migrate'], workspace.env, {code: 1})).stderr).toMatch(/Error: .*--to/)
  })
})

describe('signet storage migrate, interrupted mid-copy, resumes and verifies', () => {
  const databases: TestDatabase[] = []
  let workspace: Workspace

  beforeAll(async () => {
    workspace = await makeWorkspace('version: 1\n')
    await cli(['daemon', 'start'], workspace.env)
    const bulk = path.join(workspace.temp.home, 'bulk.jsonl')
    writeFileSync(
      bulk,
      Array.from({length: 20_000}, (_, index) =>
        JSON.stringify({content: `bulk memory ${index} about lighthouse keeper ${index % 97}`, agentId: index % 3 ? 'default' : 'codex'}),
      ).join('\n') + '\n',
    )
    await cli(['import', bulk], workspace.env)
    await cli(['daemon', 'stop'], workspace.env)
  }, 120_000)

  afterAll(async () => {
    for (const database of databases) await database.drop()
  })

  /** Start a migrate in the background and resolve once its saved checkpoint is past `rows` memories. */
  async function startAndWait(args: string[], env: NodeJS.ProcessEnv, rows: number) {
    const before = new Set(readdirSync(workspace.daemonDir))
    const child = spawn(process.execPath, [RUN_JS, ...args], {env, cwd: workspace.temp.home, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    let checkpointFile: string | undefined
    for (let waited = 0; waited < 60_000; waited += 20) {
      checkpointFile = readdirSync(workspace.daemonDir)
        .filter((name) => /^storage-migrate-[0-9a-f]{16}\.json$/.test(name) && !before.has(name))
        .map((name) => path.join(workspace.daemonDir, name))[0]
      const saved = checkpointFile ? readFileSync(checkpointFile, 'utf8') : ''
      if (Number(/"memories": (\d+)/.exec(saved)?.[1] ?? 0) >= rows) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return {child, exited, checkpointFile, output: () => output}
  }

  it('stops at the next page on Ctrl-C (SIGINT), keeping what it copied and saying how to resume', async () => {
    const target = path.join(workspace.temp.home, 'interrupted.db')
    const run = await startAndWait(['storage', 'migrate', '--to', target, '--batch-size', '100'], workspace.env, 2000)
    expect(run.checkpointFile, run.output()).toBeDefined()
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain(`Error: interrupted — every page copied so far is kept; run the same command again to resume from ${run.checkpointFile}`)
    const copied = Number(/"memories": (\d+)/.exec(readFileSync(run.checkpointFile!, 'utf8'))![1])
    expect(copied).toBeLessThan(20_000)
    expect(sqliteCounts(target).memories).toBeGreaterThanOrEqual(copied)
    // The lock is released; the checkpoint stays for the next run.
    expect(readdirSync(workspace.daemonDir).filter((name) => name.endsWith('.lock'))).toEqual([])
  }, 120_000)

  it(`continues from its checkpoint after being killed (to ${postgresCluster ? 'PostgreSQL' : 'SQLite: no PostgreSQL server here'})`, async () => {
    let target: string
    let env = workspace.env
    if (postgresCluster) {
      const database = await createTestDatabase('signet_migrate')
      databases.push(database)
      target = withSecret(database.url)
      // Through --to-env, as the docs advise for a URL with a password.
      env = {...workspace.env, SIGNET_MIGRATE_TO_URL: target}
    } else {
      target = path.join(workspace.temp.home, 'resumed.db')
    }
    const args = ['storage', 'migrate', ...(postgresCluster ? ['--to-env'] : ['--to', target]), '--batch-size', '100']

    const started = await startAndWait(args, env, 2000)
    const {child, exited, checkpointFile} = started
    child.kill('SIGKILL')
    expect(await exited).toBe(null)
    const output = started.output()
    expect(checkpointFile, output).toBeDefined()
    const stoppedAt = Number(/"memories": (\d+)/.exec(readFileSync(checkpointFile!, 'utf8'))![1])
    expect(stoppedAt).toBeGreaterThanOrEqual(2000)
    expect(stoppedAt).toBeLessThan(20_000)
    expect(statSync(checkpointFile!).mode & 0o777).toBe(0o600)
    const checkpoint = JSON.parse(readFileSync(checkpointFile!, 'utf8'))
    expect(checkpoint).toMatchObject({version: 1, checkpoint: {done: ['api_keys']}})
    expect(checkpoint.source).toBe(`SQLite ${workspace.dbPath}`)
    if (postgresCluster) expect(checkpoint.target).toBe(`PostgreSQL ${target.replace(SECRET, '***')}`)
    expectNoSecret(readFileSync(checkpointFile!, 'utf8'), output)

    const rerun = await cli(args, env)
    expectNoSecret(rerun.stdout, rerun.stderr)
    expect(rerun.stderr).toContain(`Resuming from ${checkpointFile} (saved `)
    expect(rerun.stderr).toMatch(/1 table already copied\) — --restart copies from the first row/)
    for (const {name} of COPIED_TABLES) expect(rerun.stdout).toMatch(new RegExp(`^${name}\\s+[\\d,]+\\s+[\\d,]+\\s+same `, 'm'))
    expect(rerun.stdout).toMatch(/^memories\s+20,000\s+20,000\s+same /m)
    // It wrote only what the killed run had not (a page at most twice), not all 20,000 again.
    const written = Number(/\(([\d,]+) rows written; [\d.]+ s in all\)/.exec(rerun.stdout)![1].replaceAll(',', ''))
    expect(written).toBeLessThanOrEqual(20_000 - stoppedAt + 100 + 10)
    expect(written).toBeGreaterThan(0)
    // Done: its checkpoint and lock are gone, so the next run copies from the first row.
    expect(existsSync(checkpointFile!)).toBe(false)
    expect(readdirSync(workspace.daemonDir).filter((name) => name.endsWith('.lock'))).toEqual([])
    const counts = postgresCluster ? await postgresCounts(target) : sqliteCounts(target)
    expect(counts).toEqual(sqliteCounts(workspace.dbPath))
  }, 240_000)
})

describe.skipIf(!postgresCluster)(`signet storage migrate to PostgreSQL and back ${postgresSkipReason}`, () => {
  let workspace: Workspace
  let database: TestDatabase
  let url: string
  let key: string

  beforeAll(async () => {
    workspace = await makeWorkspace()
    ;({key} = await seed(workspace))
    await cli(['daemon', 'stop'], workspace.env)
    database = await createTestDatabase('signet_migrate')
    url = withSecret(database.url)
  }, 120_000)

  afterAll(async () => {
    await runCli(['daemon', 'stop'], {env: {...workspace.env, SIGNET_DATABASE_URL: url}})
    await database?.drop()
  })

  it('copies SQLite to PostgreSQL, verified, switches agent.yaml keeping its comments, and never shows the password', async () => {
    const env = {...workspace.env, SIGNET_MIGRATE_TO_URL: url}
    const run = await cli(['storage', 'migrate', '--to-env', '--switch'], env)
    expectNoSecret(run.stdout, run.stderr)
    for (const {name} of COPIED_TABLES) expect(run.stdout).toMatch(new RegExp(`^${name}\\s+[\\d,]+\\s+[\\d,]+\\s+same [0-9a-f]{12}$`, 'm'))
    expect(run.stdout).toContain(`✓ PostgreSQL ${url.replace(SECRET, '***')} is a verified copy of SQLite ${workspace.dbPath}`)
    expect(run.stdout).toMatch(/agent\.yaml now uses PostgreSQL \(storage\.backend, storage\.url changed\)/)
    expect(run.stdout).toMatch(/storage\.url is written without its password: give the daemon the full URL in SIGNET_DATABASE_URL/)
    const yaml = readFileSync(path.join(workspace.temp.workspace, 'agent.yaml'), 'utf8')
    expectNoSecret(yaml)
    expect(yaml.startsWith(AGENT_YAML)).toBe(true)
    expect(yaml).toContain(`storage:\n  backend: postgres\n  url: ${database.url}\n`)
    expect(await postgresCounts(database.url)).toEqual(sqliteCounts(workspace.dbPath))

    // The workspace now runs on PostgreSQL: the default source is the target itself.
    expect((await cli(['storage', 'migrate', '--to', url], workspace.env, {code: 1})).stderr).toMatch(
      /the source and the target are the same store \(PostgreSQL postgres:\/\/signet:\*\*\*@/,
    )
    // Run again from the SQLite file (as after a partial run): the target holds only this source's rows, so it is accepted.
    const again = JSON.parse((await cli(['storage', 'migrate', '--from', workspace.dbPath, '--to', url, '--json'], workspace.env)).stdout)
    expect(again).toMatchObject({ok: true, resumed: false, target: `PostgreSQL ${url.replace(SECRET, '***')}`, source: `SQLite ${workspace.dbPath}`})
    expect(again.tables.map((verdict: {table: string}) => verdict.table)).toEqual(COPIED_TABLES.map(({name}) => name))
    for (const verdict of again.tables) expect(verdict.sourceHash, verdict.table).toBe(verdict.targetHash)
    expectNoSecret(JSON.stringify(again))
  }, 120_000)

  it('a daemon on the copy recalls the memories and accepts the migrated key', async () => {
    const env = {...workspace.env, SIGNET_DATABASE_URL: url}
    await cli(['daemon', 'start'], env)
    const status = JSON.parse((await cli(['daemon', 'status', '--json'], env)).stdout)
    expect(status.memoryCount).toBe(4)
    const recalled = JSON.parse((await cli(['recall', 'which port does the staging database use', '--json'], env)).stdout)
    expect(recalled.results[0].content).toBe('The staging database listens on port 5433')

    // auth.mode team: over TCP only a key gets in, and the key made on SQLite is one.
    const daemonUrl = `http://127.0.0.1:${workspace.env.SIGNET_PORT}`
    const withKey = (presented: string) =>
      fetch(`${daemonUrl}/api/memory/remember`, {
        method: 'POST',
        headers: {authorization: `Bearer ${presented}`, 'content-type': 'application/json'},
        body: JSON.stringify({content: 'Codex wrote this on PostgreSQL'}),
      })
    expect((await withKey(key)).status).toBe(201)
    expect((await withKey(`${key.slice(0, -4)}xxxx`)).status).toBe(401)
    const codex = JSON.parse((await cli(['recall', 'wrote this on PostgreSQL', '--agent-id', 'codex', '--json'], env)).stdout)
    expect(codex.results[0].content).toBe('Codex wrote this on PostgreSQL')
    await cli(['remember', 'Written while the workspace ran on PostgreSQL'], env)
    await cli(['daemon', 'stop'], env)
  }, 120_000)

  it("copies PostgreSQL back to a fresh SQLite file, and into the workspace's own file with --switch", async () => {
    // The source is the workspace's configured store: agent.yaml's url, the password from SIGNET_DATABASE_URL.
    const env = {...workspace.env, SIGNET_DATABASE_URL: url}
    const fresh = path.join(workspace.temp.home, 'fresh', 'signet.db')
    const back = await cli(['storage', 'migrate', '--to', fresh], env)
    expectNoSecret(back.stdout, back.stderr)
    expect(back.stdout).toContain(`✓ SQLite ${fresh} is a verified copy of PostgreSQL ${url.replace(SECRET, '***')}`)
    expect(back.stdout).toContain(`To run this workspace on SQLite again, migrate to ${workspace.dbPath} with --switch instead`)
    expect(sqliteCounts(fresh)).toEqual(await postgresCounts(database.url))
    const db = new Database(fresh, {readonly: true})
    const contents = (db.prepare('SELECT content FROM memories ORDER BY seq').all() as Array<{content: string}>).map((row) => row.content)
    db.close()
    expect(contents).toEqual(
      expect.arrayContaining(['Codex wrote this on PostgreSQL', 'Written while the workspace ran on PostgreSQL', 'The staging database listens on port 5433']),
    )

    // Home again: the workspace's own file (which still holds the sources) becomes the copy, and agent.yaml says sqlite.
    const home = await cli(['storage', 'migrate', '--to', workspace.dbPath, '--switch'], env)
    expect(home.stdout).toMatch(/agent\.yaml now uses SQLite \(storage\.backend changed\)/)
    expect(sqliteCounts(workspace.dbPath)).toEqual(await postgresCounts(database.url))
    const local = {...workspace.env}
    await cli(['daemon', 'start'], local)
    try {
      const recalled = JSON.parse((await cli(['recall', 'while the workspace ran on PostgreSQL', '--json'], local)).stdout)
      expect(recalled.results[0].content).toBe('Written while the workspace ran on PostgreSQL')
      expect(JSON.parse((await cli(['daemon', 'status', '--json'], local)).stdout).memoryCount).toBe(6)
    } finally {
      await cli(['daemon', 'stop'], local)
    }
  }, 120_000)

  it('exits 1 and leaves agent.yaml alone when a table differs (a NUL character PostgreSQL cannot hold)', async () => {
    const other = await makeWorkspace()
    await cli(['daemon', 'start'], other.env)
    const file = path.join(other.temp.home, 'nul.jsonl')
    writeFileSync(file, `${JSON.stringify({content: 'before\u0000after the NUL'})}\n`)
    await cli(['import', file], other.env)
    await cli(['daemon', 'stop'], other.env)
    const target = await createTestDatabase('signet_migrate')
    try {
      const run = await cli(['storage', 'migrate', '--to', withSecret(target.url), '--switch'], other.env, {code: 1})
      expectNoSecret(run.stdout, run.stderr)
      expect(run.stdout).toMatch(/^memories\s+1\s+1\s+DIFFERS [0-9a-f]{12} ≠ [0-9a-f]{12}$/m)
      expect(run.stdout).toMatch(/✗ memories differs between SQLite .* and PostgreSQL /)
      expect(run.stdout).toContain('agent.yaml was left as it was: --switch applies only to a verified copy.')
      expect(readFileSync(path.join(other.temp.workspace, 'agent.yaml'), 'utf8')).toBe(AGENT_YAML)
    } finally {
      await target.drop()
    }
  }, 120_000)
})
