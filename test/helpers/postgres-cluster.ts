import {execFileSync, spawnSync} from 'node:child_process'
import {chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import path from 'node:path'

/**
 * A throwaway PostgreSQL cluster for the tests: `initdb` into a temp dir, `pg_ctl start` on a free
 * loopback port with its Unix socket inside the temp dir, fsync off (nothing here must survive a
 * crash). One per vitest run (test/helpers/postgres.global.ts); each test file makes its own
 * database in it (test/helpers/postgres.ts).
 */
export interface PostgresCluster {
  /** `postgres://signet@127.0.0.1:<port>`: append `/<database>`. */
  baseUrl: string
  port: number
  dir: string
  bin: string
  version: string
  /** The server options it was started with (port, sockets, fsync off): for a restart on the same port. */
  serverOptions: string
}

/** Where Debian (and most distributions) put the server binaries, newest major first, then PATH. */
export function findPostgresBin(): string | undefined {
  const candidates: string[] = []
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
    for (const major of majors) candidates.push(path.join(root, major, 'bin'))
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir)
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')) && existsSync(path.join(dir, 'postgres')))
}

/** initdb refuses to run as root: as root, the cluster belongs to an unprivileged account that exists here. */
function clusterOwner(): string | undefined {
  if (process.getuid?.() !== 0) return undefined
  for (const name of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', name]).status === 0) return name
  }
  throw new Error('running as root and neither a postgres nor a nobody account exists to own the test cluster')
}

function run(owner: string | undefined, command: string, args: string[]): void {
  const [file, argv] = owner ? ['runuser', ['-u', owner, '--', command, ...args]] : [command, args]
  execFileSync(file, argv, {stdio: 'pipe'})
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const owner = clusterOwner()
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-pg-'))
  if (owner) {
    const uid = Number(execFileSync('id', ['-u', owner]).toString().trim())
    const gid = Number(execFileSync('id', ['-g', owner]).toString().trim())
    chownSync(dir, uid, gid)
  }
  const data = path.join(dir, 'data')
  const user = 'signet'
  try {
    run(owner, path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'])
    // Two tries: another process may take the port between freePort() and the server binding it.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      const options = [
        `-p ${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-c unix_socket_directories='${dir}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ')
      try {
        run(owner, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start'])
      } catch (error) {
        if (attempt < 2) continue
        throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${readLog(dir)}`, {cause: error})
      }
      const version = readFileSync(path.join(data, 'PG_VERSION'), 'utf8').trim()
      return {baseUrl: `postgres://${user}@127.0.0.1:${port}`, port, dir, bin, version, serverOptions: options}
    }
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000)
  } catch {
    return ''
  }
}

/**
 * Stop the server but keep its data (an outage); startPostgresServer brings it back on the same
 * port. A fast (clean) stop: with fsync off, an immediate one would lose what was committed.
 */
export function stopPostgresServer(cluster: PostgresCluster): void {
  run(clusterOwner(), path.join(cluster.bin, 'pg_ctl'), ['-D', path.join(cluster.dir, 'data'), '-m', 'fast', '-w', 'stop'])
}

export function startPostgresServer(cluster: PostgresCluster): void {
  run(clusterOwner(), path.join(cluster.bin, 'pg_ctl'), [
    '-D',
    path.join(cluster.dir, 'data'),
    '-l',
    path.join(cluster.dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    cluster.serverOptions,
    'start',
  ])
}

export function stopPostgresCluster(cluster: PostgresCluster): void {
  try {
    run(clusterOwner(), path.join(cluster.bin, 'pg_ctl'), ['-D', path.join(cluster.dir, 'data'), '-m', 'immediate', '-w', 'stop'])
  } finally {
    rmSync(cluster.dir, {recursive: true, force: true})
  }
}

/** Who runs the tests, for the skip message. */
export function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.())
  }
}
