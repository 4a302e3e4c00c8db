import {spawn} from 'node:child_process'
import {readdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {RUN_JS} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {runHook} from './support/run-hook.js'

/*
 * How `signet hook` starts (BENCHMARKS.md B1): bin/run.js is CommonJS and loads the one-file
 * bundle dist/hook.cjs through a V8 code cache in ~/.cache/signet. These tests pin the parts
 * that make it fast (no ES module loader, no package from node_modules, the cache reused) and
 * the part that keeps it safe (a bad cache never changes what the harness receives).
 */

let daemon: TestDaemon
let env: NodeJS.ProcessEnv
const cacheDir = () => path.join(daemon.temp.home, '.cache', 'signet')
// Each run uses its own session: a session is never given the same memory twice.
const input = JSON.stringify({session_id: 'startup-1', cwd: '', hook_event_name: 'UserPromptSubmit', prompt: 'which port does the staging database use?'})

beforeAll(async () => {
  daemon = await startTestDaemon()
  env = {...daemon.temp.env}
  const stored = await daemon.request('POST', '/api/memory/remember', {body: {content: 'The staging database listens on port 5433'}})
  expect(stored.status).toBe(201)
})

afterAll(async () => {
  await daemon.stop()
  daemon.temp.cleanup()
})

/** What the harness would see, minus the per-run receipt fields. */
function injected(stdout: string): string {
  return JSON.parse(stdout).hookSpecificOutput.additionalContext as string
}

describe('hook start-up', () => {
  it('loads no ES module and nothing from node_modules: only bin/run.js and the bundle', async () => {
    const report = path.join(daemon.temp.home, 'loaded.json')
    const preload = path.join(daemon.temp.home, 'report-loaded.cjs')
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
      commonjs: Object.keys(require.cache),
      esmLoaderParts: process.moduleLoadList.filter((name) => name.includes('internal/modules/esm/')),
    })))\n`,
    )
    const run = await new Promise<{code: number | null; stdout: string}>((resolve) => {
      const child = spawn(process.execPath, ['--require', preload, RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code'], {
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      })
      let stdout = ''
      child.stdout.on('data', (chunk) => (stdout += chunk))
      child.on('close', (code) => resolve({code, stdout}))
      child.stdin.end(input.replace('startup-1', 'startup-0'))
    })
    expect(run.code).toBe(0)
    expect(injected(run.stdout)).toContain('port 5433')
    const loaded = JSON.parse(readFileSync(report, 'utf8')) as {commonjs: string[]; esmLoaderParts: string[]}
    expect(loaded.commonjs.filter((file) => file !== preload)).toEqual([RUN_JS])
    // Importing any ES module brings in the module-job and translator parts of the loader.
    expect(loaded.esmLoaderParts.filter((name) => /module_job|translators/.test(name))).toEqual([])
    // Nor the loader itself: bin/run.js takes the Module class from its own `module`, since
    // require('node:module') loads the ES module loader with it (≈ 0.25 ms per prompt, bench/README.md).
    expect(loaded.esmLoaderParts.filter((name) => /esm\/(loader|assert)$/.test(name))).toEqual([])
  })

  it('runs a prompt without a garbage collection once its code cache is written', async () => {
    // V8 schedules a scavenge when the 1 MiB young generation is three quarters full; on a loaded
    // machine that one collection cost the hook as much as its request (scripts/bundle-hook.mjs).
    // --trace-gc prints a line per collection on stdout, allocating nothing in JavaScript. Its own
    // cache directory: bin/run.js keys caches by node flags, and the other tests count the files.
    const tracedEnv = {...env, XDG_CACHE_HOME: path.join(daemon.temp.home, 'trace-gc-cache')}
    const traced = (session: string) =>
      new Promise<{code: number | null; stdout: string}>((resolve) => {
        const child = spawn(process.execPath, ['--trace-gc', RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code'], {
          env: tracedEnv,
          stdio: ['pipe', 'pipe', 'inherit'],
        })
        let stdout = ''
        child.stdout.on('data', (chunk) => (stdout += chunk))
        child.on('close', (code) => resolve({code, stdout}))
        child.stdin.end(input.replace('startup-1', session))
      })
    // The first run writes the code cache; the second is the steady state of every later prompt.
    expect((await traced('startup-gc-0')).code).toBe(0)
    const run = await traced('startup-gc-1')
    expect(run.code).toBe(0)
    const collections = run.stdout.split('\n').filter((line) => /\b(Scavenge|Mark-Compact|Minor Mark-Sweep)\b/.test(line))
    const answer = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .join('\n')
    expect(injected(answer)).toContain('port 5433')
    expect(collections).toEqual([])
  })

  it('writes a code cache on the first run, reuses it, and replaces a corrupt one without changing the output', async () => {
    const first = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input})
    expect(first).toMatchObject({code: 0, stderr: ''})
    const caches = readdirSync(cacheDir()).filter((name) => name.endsWith('.v8cache'))
    expect(caches).toHaveLength(1)
    const cacheFile = path.join(cacheDir(), caches[0])
    const written = readFileSync(cacheFile)
    expect(written.length).toBeGreaterThan(1000)

    const second = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input: input.replace('startup-1', 'startup-2')})
    expect(second).toMatchObject({code: 0, stderr: ''})
    expect(injected(second.stdout)).toBe(injected(first.stdout))
    // Accepted caches are left alone (rewriting them would cost every prompt a write).
    expect(readFileSync(cacheFile).equals(written)).toBe(true)

    writeFileSync(cacheFile, Buffer.alloc(written.length, 7))
    const afterCorruption = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input: input.replace('startup-1', 'startup-3')})
    expect(afterCorruption).toMatchObject({code: 0, stderr: ''})
    expect(injected(afterCorruption.stdout)).toBe(injected(first.stdout))
    expect(readFileSync(cacheFile).equals(Buffer.alloc(written.length, 7))).toBe(false)
  })

  it('caches of other builds and abandoned partial files are removed when a new cache is written', async () => {
    const stale = path.join(cacheDir(), 'hook-1-2-v18.0.0-x64.v8cache')
    writeFileSync(stale, 'old')
    for (const name of readdirSync(cacheDir())) if (name !== path.basename(stale)) writeFileSync(path.join(cacheDir(), name), 'rejected by V8')
    const abandoned = path.join(cacheDir(), 'hook-1-2-v18.0.0-x64.v8cache.4242')
    writeFileSync(abandoned, 'partial')
    utimesSync(abandoned, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000))
    const inFlight = path.join(cacheDir(), 'hook-3-4-v18.0.0-x64.v8cache.4343')
    writeFileSync(inFlight, 'being written')
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input: input.replace('startup-1', 'startup-4')})
    expect(run).toMatchObject({code: 0, stderr: ''})
    const left = readdirSync(cacheDir())
    expect(left).not.toContain(path.basename(stale))
    expect(left).not.toContain(path.basename(abandoned))
    expect(left).toContain(path.basename(inFlight))
  })

  it('an unwritable cache directory costs nothing but speed', async () => {
    const blocked = {...env, XDG_CACHE_HOME: path.join(RUN_JS, 'not-a-directory')}
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env: blocked, input: input.replace('startup-1', 'startup-5')})
    expect(run).toMatchObject({code: 0, stderr: ''})
    expect(injected(run.stdout)).toContain('port 5433')
  })
})
