import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {cachedVersionProbe, MAX_AGE_MS} from '../../src/connectors/version-probe-cache.js'

/**
 * Real executables on a real PATH: each records every run in a log next to it, so a test can
 * count how often `--version` was actually spawned.
 */
describe('harness --version probes, cached per binary file', () => {
  let dir: string
  let bin: string
  let cacheFile: string
  let env: NodeJS.ProcessEnv

  function writeHarness(name: string, version: string): string {
    const file = path.join(bin, name)
    writeFileSync(file, `#!/bin/sh\necho run >> "${path.join(dir, `${name}.runs`)}"\necho "${name} ${version}"\n`)
    chmodSync(file, 0o755)
    return file
  }

  const runs = (name: string) => {
    try {
      return readFileSync(path.join(dir, `${name}.runs`), 'utf8')
        .split('\n')
        .filter(Boolean).length
    } catch {
      return 0
    }
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signet-version-probe-'))
    bin = path.join(dir, 'bin')
    mkdirSync(bin)
    cacheFile = path.join(dir, 'cache', 'signet', 'harness-versions.json')
    env = {PATH: `${bin}:/usr/bin:/bin`}
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('spawns a binary once, then answers from the cache in later processes', async () => {
    writeHarness('claude', '2.1.3')
    expect(await cachedVersionProbe({env, cacheFile})('claude')).toBe('claude 2.1.3')
    // a new probe function reads the file again, as the next `signet status` would
    expect(await cachedVersionProbe({env, cacheFile})('claude')).toBe('claude 2.1.3')
    expect(await cachedVersionProbe({env, cacheFile})('claude')).toBe('claude 2.1.3')
    expect(runs('claude')).toBe(1)
  })

  it('asks again when the binary is replaced (upgrade)', async () => {
    // npm pins the mtime of every installed file (1985-10-26): an upgrade may keep the mtime (and
    // here the size and inode too)
    const NPM_MTIME = 499_162_500
    const file = writeHarness('codex', '0.40.0')
    utimesSync(file, NPM_MTIME, NPM_MTIME)
    expect(await cachedVersionProbe({env, cacheFile})('codex')).toBe('codex 0.40.0')
    const before = statSync(file)
    writeHarness('codex', '0.41.0')
    utimesSync(file, NPM_MTIME, NPM_MTIME)
    const after = statSync(file)
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino])
    expect(await cachedVersionProbe({env, cacheFile})('codex')).toBe('codex 0.41.0')
    expect(runs('codex')).toBe(2)
  })

  it('asks again after MAX_AGE_MS, for shims that pick the real program at run time', async () => {
    writeHarness('gemini', '0.9.0')
    let now = 1_000_000
    const probe = () => cachedVersionProbe({env, cacheFile, now: () => now})('gemini')
    await probe()
    now += MAX_AGE_MS - 1
    await probe()
    expect(runs('gemini')).toBe(1)
    now += 2
    await probe()
    expect(runs('gemini')).toBe(2)
  })

  it('spawns nothing for a binary that is not on PATH', async () => {
    expect(await cachedVersionProbe({env, cacheFile})('opencode')).toBeUndefined()
    expect(() => statSync(cacheFile)).toThrow()
  })

  it('keeps the cache owner-only and ignores a corrupt one', async () => {
    writeHarness('hermes', '1.0.0')
    await cachedVersionProbe({env, cacheFile})('hermes')
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(cacheFile)).mode & 0o777).toBe(0o700)
    writeFileSync(cacheFile, '{"not": "an entry"')
    expect(await cachedVersionProbe({env, cacheFile})('hermes')).toBe('hermes 1.0.0')
    expect(runs('hermes')).toBe(2)
  })

  it('does not trust an entry whose binary path now resolves to another file', async () => {
    writeHarness('pi', '0.5.0')
    await cachedVersionProbe({env, cacheFile})('pi')
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, {output: string}>
    cached[path.join(bin, 'pi')].output = 'pi 9.9.9'
    writeFileSync(cacheFile, JSON.stringify(cached))
    // the same file: the (edited) cache answers
    expect(await cachedVersionProbe({env, cacheFile})('pi')).toBe('pi 9.9.9')
    rmSync(path.join(bin, 'pi'))
    writeHarness('pi', '0.6.0')
    expect(await cachedVersionProbe({env, cacheFile})('pi')).toBe('pi 0.6.0')
  })
})
