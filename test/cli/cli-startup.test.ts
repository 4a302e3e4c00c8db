import {spawn} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DAEMON_NODE_FLAGS} from '../../src/daemon/memory-settings.js'
import {RUN_JS} from '../helpers/cli.js'

/*
 * How the commands people type start (BENCHMARKS.md B5: p50 ≤ 2 × bare node): bin/run.js loads the
 * one-file bundle dist/cli.cjs (oclif, every command, their packages) through a V8 code cache, and
 * oclif finds the command in it. Loading the same code file by file (~190 CommonJS files and ~130
 * ES modules for `daemon status`) cost ~5 × a bare node start. These tests pin the structure that
 * makes it fast; bench B5 measures it.
 */

const DIST_CLI = path.join(path.dirname(RUN_JS), '..', 'dist', 'cli.cjs')
let home: string
let env: NodeJS.ProcessEnv

beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'signet-cli-startup-'))
  // No daemon listens here: the commands report that, which is enough to run them end to end.
  env = {PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), SIGNET_DAEMON_URL: 'http://127.0.0.1:9'}
})

afterAll(() => rmSync(home, {recursive: true, force: true}))

function run(
  args: string[],
  runJs = RUN_JS,
  nodeFlags: readonly string[] = [],
): Promise<{code: number | null; stdout: string; stderr: string; loaded: {commonjs: string[]; esmLoaderParts: string[]}}> {
  const report = path.join(home, `loaded-${args.join('-')}.json`)
  const preload = path.join(home, 'report-loaded.cjs')
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(process.env.SIGNET_TEST_LOADED_REPORT, JSON.stringify({
    commonjs: Object.keys(require.cache),
    esmLoaderParts: process.moduleLoadList.filter((name) => name.includes('internal/modules/esm/')),
  })))\n`,
  )
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags, '--require', preload, runJs, ...args], {
      env: {...env, SIGNET_TEST_LOADED_REPORT: report},
      cwd: home,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({code, stdout, stderr, loaded: JSON.parse(readFileSync(report, 'utf8'))}))
  })
}

describe('CLI start-up', () => {
  it.each([[['daemon', 'status', '--json']], [['status']], [['connector', 'list']], [['remember', '--help']]])(
    'signet %j loads only bin/run.js and the bundle, and no ES module',
    async (args) => {
      const result = await run(args)
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.loaded.commonjs.filter((file) => !file.endsWith('report-loaded.cjs'))).toEqual([RUN_JS, DIST_CLI])
      // Importing any ES module brings in the module-job and translator parts of the loader.
      expect(result.loaded.esmLoaderParts.filter((name) => /module_job|translators/.test(name))).toEqual([])
    },
  )

  it('writes the code cache once and reuses it; a typo still gets the closest command', async () => {
    const cacheDir = path.join(home, '.cache', 'signet')
    await run(['daemon', 'status', '--json'])
    const daemonCaches = () => readdirSync(cacheDir).filter((name) => name.startsWith('cli-') && name.includes('-daemon.'))
    const caches = daemonCaches()
    expect(caches).toHaveLength(1)
    expect(caches[0]).toMatch(/\.v8cache$/)
    const again = await run(['daemon', 'status', '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({running: false})
    expect(daemonCaches()).toEqual(caches)
    const typo = await run(['daemn', 'status'])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toContain('did you mean `signet daemon status`?')
  })

  it('each command keeps a code cache of its own; a new build replaces every cache of the old one', async () => {
    const cacheDir = path.join(home, '.cache', 'signet')
    rmSync(cacheDir, {recursive: true, force: true})
    const caches = () => readdirSync(cacheDir).filter((name) => name.startsWith('cli-') && name.endsWith('.v8cache'))
    for (const args of [['daemon', 'status', '--json'], ['status'], ['connector', 'list']]) expect((await run(args)).code).toBe(0)
    // `status` run after `daemon status` would otherwise start from a cache without its connectors.
    expect(
      caches()
        .map((name) => /-(daemon|status|connector)\.\d/.exec(name)?.[1])
        .sort(),
    ).toEqual(['connector', 'daemon', 'status'])
    const written = new Map(caches().map((name) => [name, statSync(path.join(cacheDir, name)).ino]))
    for (const args of [['daemon', 'status', '--json'], ['status'], ['connector', 'list']]) expect((await run(args)).code).toBe(0)
    expect(new Map(caches().map((name) => [name, statSync(path.join(cacheDir, name)).ino]))).toEqual(written)
    // Another build's cache of a command, as an upgrade leaves it: the next cache written removes it.
    const prefix = /^cli-[^-]+-/.exec(caches()[0])![0]
    const stale = path.join(cacheDir, `${prefix}recall.1-2-v18.0.0-x64.v8cache`)
    writeFileSync(stale, '')
    expect((await run(['api-key', 'list'])).code).toBe(1)
    expect(caches().filter((name) => !written.has(name))).toEqual([expect.stringMatching(/-api-key\.\d/)])
  })

  it('`signet help <topic>` (the command of @oclif/plugin-help, compiled into the bundle) still works', async () => {
    const result = await run(['help', 'daemon'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('daemon status')
  })

  it('asks a harness for its --version once per binary, not on every `connector list` or `status`', async () => {
    const bin = path.join(home, 'harness-bin')
    mkdirSync(bin, {recursive: true})
    const runs = path.join(home, 'claude.runs')
    writeFileSync(path.join(bin, 'claude'), `#!/bin/sh\necho run >> "${runs}"\necho "2.1.3 (Claude Code)"\n`)
    chmodSync(path.join(bin, 'claude'), 0o755)
    const withHarness = {...env, PATH: `${bin}${path.delimiter}${env.PATH}`}
    const saved = env
    env = withHarness
    try {
      for (const args of [['connector', 'list'], ['connector', 'list'], ['status']]) {
        const result = await run(args)
        expect(result.code).toBe(0)
        if (args[0] === 'connector') expect(result.stdout).toContain('2.1.3 (Claude Code)')
      }
    } finally {
      env = saved
    }
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it("the daemon's node flags get a code cache of their own: the CLI's is neither rejected nor rewritten", async () => {
    const cacheDir = path.join(home, '.cache', 'signet')
    rmSync(cacheDir, {recursive: true, force: true})
    const caches = () => readdirSync(cacheDir).filter((name) => name.startsWith('cli-') && name.endsWith('.v8cache'))
    expect((await run(['daemon', 'status', '--json'])).code).toBe(0)
    const [cli] = caches()
    const written = statSync(path.join(cacheDir, cli)).ino
    // As `signet daemon start` and the service units run it (src/daemon/memory-settings.ts).
    expect((await run(['daemon', 'status', '--json'], RUN_JS, DAEMON_NODE_FLAGS)).code).toBe(0)
    expect(caches()).toHaveLength(2)
    expect((await run(['daemon', 'status', '--json'])).code).toBe(0)
    expect(statSync(path.join(cacheDir, cli)).ino).toBe(written)
  })

  it("two installs for one user keep a code cache each instead of deleting each other's", async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'signet-other-install-'))
    try {
      const root = path.join(path.dirname(RUN_JS), '..')
      for (const file of ['bin/run.js', 'bin/package.json', 'dist/cli.cjs', 'package.json', 'oclif.manifest.json']) {
        mkdirSync(path.dirname(path.join(other, file)), {recursive: true})
        copyFileSync(path.join(root, file), path.join(other, file))
      }
      const cacheDir = path.join(home, '.cache', 'signet')
      rmSync(cacheDir, {recursive: true, force: true})
      for (const runJs of [RUN_JS, path.join(other, 'bin/run.js'), RUN_JS]) {
        const result = await run(['daemon', 'status', '--json'], runJs)
        expect(result.code).toBe(0)
      }
      expect(readdirSync(cacheDir).filter((name) => name.startsWith('cli-') && name.endsWith('.v8cache'))).toHaveLength(2)
    } finally {
      rmSync(other, {recursive: true, force: true})
    }
  })
})
