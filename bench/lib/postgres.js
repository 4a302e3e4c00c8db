import {execFileSync, spawnSync} from 'node:child_process'
import {chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import pg from 'pg'

import {freePort} from './daemon.js'

/**
 * PostgreSQL for B11: a throwaway server started from Debian's binaries (or the one `--postgres`
 * names), a fresh database per figure, and the CPU the server spent (from /proc, local server only).
 */

function findBin() {
  const root = '/usr/lib/postgresql'
  const candidates = []
  if (existsSync(root))
    for (const major of readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => b - a))
      candidates.push(path.join(root, major, 'bin'))
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir)
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(path.join(dir, name))))
}

/** initdb refuses root: as root the server runs as `postgres` (or `nobody`). */
function owner() {
  if (process.getuid?.() !== 0) return undefined
  for (const name of ['postgres', 'nobody']) if (spawnSync('id', ['-u', name]).status === 0) return name
  throw new Error('running as root and neither a postgres nor a nobody account exists to own the bench cluster')
}

function run(user, command, args) {
  const [file, argv] = user ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args]
  execFileSync(file, argv, {stdio: 'pipe'})
}

/**
 * Start a server with PostgreSQL's defaults (fsync on, synchronous_commit on: every acknowledged
 * write is on disk) plus `settings` (`name=value`). Returns its admin URL, a CPU probe and stop().
 */
export async function startCluster({settings = []} = {}) {
  const bin = findBin()
  if (!bin) throw new Error("no PostgreSQL server binaries (initdb, pg_ctl, postgres): install Debian's postgresql package or pass --postgres URL")
  const user = owner()
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-b11-pg-'))
  if (user) chownSync(dir, Number(execFileSync('id', ['-u', user]).toString()), Number(execFileSync('id', ['-g', user]).toString()))
  const data = path.join(dir, 'data')
  const port = await freePort()
  try {
    run(user, path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'signet', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'])
    const options = [
      `-p ${port}`,
      "-c listen_addresses='127.0.0.1'",
      `-c unix_socket_directories='${dir}'`,
      '-c max_connections=200',
      ...settings.map((setting) => `-c ${setting}`),
    ].join(' ')
    run(user, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start'])
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`could not start PostgreSQL from ${bin} in ${dir} (as root, TMPDIR must be reachable by the ${user} account): ${error.message}`)
  }
  const postmaster = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  return {
    adminUrl: `postgres://signet@127.0.0.1:${port}/postgres`,
    version: readFileSync(path.join(data, 'PG_VERSION'), 'utf8').trim(),
    settings: ['defaults', ...settings].join(', '),
    cpuMs: () => serverCpuMs(postmaster),
    stop: () => {
      try {
        run(user, path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}

/** A server someone else runs: no CPU figure. */
export function externalCluster(adminUrl) {
  return {adminUrl, version: null, settings: 'as configured', cpuMs: () => null, stop: () => {}}
}

function statFields(pid) {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
}

/**
 * CPU ms of the whole server: the postmaster, its live children (backends, writers), and the
 * children that already exited (cutime/cstime, which the postmaster collected when it reaped them).
 */
function serverCpuMs(postmaster) {
  let ticks = 0
  try {
    const own = statFields(postmaster)
    ticks += Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  } catch {
    return null
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const fields = statFields(entry)
      // fields[1] is the parent pid (field 4 of stat).
      if (Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10
}

/** A new empty database on the server; drop() removes it. */
export async function createDatabase(adminUrl, name) {
  const admin = new pg.Client({connectionString: adminUrl})
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({connectionString: adminUrl})
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
