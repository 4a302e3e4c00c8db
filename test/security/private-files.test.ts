import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {runHook} from '../hooks/support/run-hook.js'

// Every file holding memories, transcripts, keys, logs or spool entries is owner-only: another
// local user must not read memories.db (found 0644 in a 0755 directory) or the logs.

let temp: TempHome
let env: NodeJS.ProcessEnv
let savedUmask: number

beforeEach(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
  // The most permissive umask, inherited by every CLI, hook and daemon process the test spawns:
  // modes must be set explicitly, never left to the umask (0022 would still give 0644 files).
  savedUmask = process.umask(0o000)
})

afterEach(async () => {
  process.umask(savedUmask)
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

/** Every file and directory below `root` (symlinks not followed) with its permission bits. */
function walk(root: string): Array<{file: string; mode: number}> {
  if (!existsSync(root)) return []
  const found: Array<{file: string; mode: number}> = [{file: root, mode: lstatSync(root).mode & 0o777}]
  if (!lstatSync(root).isDirectory()) return found
  for (const entry of readdirSync(root)) {
    const child = path.join(root, entry)
    const stat = lstatSync(child)
    if (stat.isDirectory()) found.push(...walk(child))
    else if (!stat.isSymbolicLink()) found.push({file: child, mode: stat.mode & 0o777})
  }
  return found
}

/** The files that hold data: the workspace's memory/ and .daemon/ trees, MEMORY.md, ~/.config/signet (not Forge's bin/). */
function dataFiles(): Array<{file: string; mode: number}> {
  const configDir = path.join(temp.home, '.config', 'signet')
  return [
    ...walk(path.join(temp.workspace, 'memory')),
    ...walk(path.join(temp.workspace, '.daemon')),
    ...walk(path.join(temp.workspace, 'MEMORY.md')),
    ...walk(configDir).filter((entry) => !entry.file.startsWith(path.join(configDir, 'bin'))),
  ]
}

function openToOthers(): string[] {
  return dataFiles()
    .filter((entry) => (entry.mode & 0o077) !== 0)
    .map((entry) => `${path.relative(temp.home, entry.file)} ${entry.mode.toString(8)}`)
}

describe('owner-only data files', () => {
  it('a daemon that starts, remembers, serves hooks and stops leaves nothing readable by group or others', async () => {
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    const remember = await runCli(['remember', 'the staging database password lives in the team vault'], {env})
    expect(remember.code, remember.stderr).toBe(0)
    const start = await runHook(['session-start', '-H', 'claude-code'], {
      env,
      input: JSON.stringify({session_id: 'modes-1', cwd: temp.home, source: 'startup'}),
    })
    expect(start.code).toBe(0)
    expect((await runCli(['daemon', 'stop'], {env})).code).toBe(0)
    // With the daemon down the hook writes its problem to ~/.config/signet/hook.log.
    const down = await runHook(['user-prompt-submit', '-H', 'claude-code'], {
      env,
      input: JSON.stringify({session_id: 'modes-1', cwd: temp.home, prompt: 'what is the staging setup?'}),
    })
    expect(down.code).toBe(0)

    const files = dataFiles().map((entry) => path.relative(temp.home, entry.file))
    for (const expected of ['.agents/memory/memories.db', '.agents/.daemon/logs/daemon.log', '.config/signet/hook.log']) expect(files).toContain(expected)
    expect(openToOthers()).toEqual([])
    expect(lstatSync(path.join(temp.workspace, 'memory')).mode & 0o777).toBe(0o700)
    expect(lstatSync(path.join(temp.workspace, '.daemon')).mode & 0o777).toBe(0o700)
    expect(lstatSync(path.join(temp.home, '.config', 'signet')).mode & 0o777).toBe(0o700)
  })

  it('an install made with open modes (0644 files, 0755 directories) is repaired on the next start', async () => {
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    expect((await runCli(['remember', 'the deploy key is rotated monthly'], {env})).code).toBe(0)
    expect((await runCli(['daemon', 'stop'], {env})).code).toBe(0)

    // What an older Signet left behind: everything world-readable, plus a migration backup and old logs.
    const configDir = path.join(temp.home, '.config', 'signet')
    mkdirSync(configDir, {recursive: true})
    writeFileSync(path.join(temp.workspace, 'memory', 'memories.db.backup-v3-1700000000000'), 'old backup')
    writeFileSync(path.join(temp.workspace, 'MEMORY.md'), '# Working memory\n')
    writeFileSync(path.join(configDir, 'hook.log'), 'old line\n')
    writeFileSync(path.join(configDir, 'hook.log.1'), 'older line\n')
    for (const entry of dataFiles()) chmodSync(entry.file, lstatSync(entry.file).isDirectory() ? 0o755 : 0o644)
    expect(openToOthers().length).toBeGreaterThan(5)
    const findingCodes = async () => JSON.parse((await runCli(['doctor', '--json'], {env})).stdout).findings.map((finding: {code: string}) => finding.code)
    expect(await findingCodes()).toContain('data_files_open')

    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    expect(openToOthers()).toEqual([])
    expect(await findingCodes()).not.toContain('data_files_open')
  })
})

describe('shared directories are never made owner-only', () => {
  it('a database opened directly in a sticky directory (like /tmp) leaves that directory as it was', async () => {
    const {openSqliteStorage} = await import('../../src/store/sqlite/storage.js')
    const {ensurePrivateDir} = await import('../../src/config/private-files.js')
    const shared = path.join(temp.home, 'shared-tmp')
    mkdirSync(shared)
    chmodSync(shared, 0o1777)
    const storage = openSqliteStorage(path.join(shared, 'copy.db'), {indexInBackground: false})
    await storage.close()
    ensurePrivateDir(shared)
    expect(lstatSync(shared).mode & 0o7777).toBe(0o1777)
    // The database file itself is still owner-only.
    expect(lstatSync(path.join(shared, 'copy.db')).mode & 0o777).toBe(0o600)
  })
})
