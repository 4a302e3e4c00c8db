import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach} from 'vitest'

import {HARNESS_IDS, HARNESS_PROFILES} from '../../src/harnesses/registry.js'

export interface TempHome {
  home: string
  workspace: string
  /** Environment for spawned processes: HOME and XDG dirs inside the temp dir, Signet vars cleared. */
  env: NodeJS.ProcessEnv
  cleanup(): void
}

/**
 * Variables a test must not inherit: Signet's own, XDG dirs, and each harness's (where it keeps its
 * files, where its hooks read the session and project from, its hook clock) from its profile.
 */
const SIGNET_ENV_PREFIXES = ['SIGNET_', 'XDG_', 'OPENCLAW_', 'OPENCODE_']
const HARNESS_ENV = new Set(
  HARNESS_IDS.flatMap((id) => {
    const profile = HARNESS_PROFILES[id]
    return [
      ...Object.keys(profile.envOverrides),
      ...profile.payload.sessionKeyEnv,
      ...profile.payload.cwdEnv,
      ...(profile.sharedHookClock ? [profile.sharedHookClock.env] : []),
    ]
  }),
)

/** A throwaway HOME with the default workspace path under it (not created: first start does that). */
export function makeTempHome(prefix = 'signet-test-'): TempHome {
  const home = mkdtempSync(path.join(tmpdir(), prefix))
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!SIGNET_ENV_PREFIXES.some((p) => key.startsWith(p)) && !HARNESS_ENV.has(key)) env[key] = value
  }
  env.HOME = home
  env.NO_COLOR = '1'
  delete env.FORCE_COLOR
  return {
    home,
    workspace: path.join(home, '.agents'),
    env,
    cleanup: () => rmSync(home, {recursive: true, force: true}),
  }
}

/**
 * For tests that run client code in this process: before each test a fresh temp HOME, with `keys`
 * cleared from process.env, HOME and XDG_CONFIG_HOME pointed into it (no stored connection of the
 * real user leaks in) and, unless `keychain`, SIGNET_NO_KEYCHAIN set; after it, every variable as
 * it was and the temp dir gone. Returns a getter for the current test's home.
 */
export function useTempHomeInProcess(keys: readonly string[], options: {keychain?: boolean} = {}): () => TempHome {
  const touched = [...new Set([...keys, 'HOME', 'XDG_CONFIG_HOME', ...(options.keychain ? [] : ['SIGNET_NO_KEYCHAIN'])])]
  let saved: Record<string, string | undefined> = {}
  let temp: TempHome | undefined
  beforeEach(() => {
    saved = Object.fromEntries(touched.map((key) => [key, process.env[key]]))
    temp = makeTempHome()
    for (const key of touched) delete process.env[key]
    process.env.HOME = temp.home
    process.env.XDG_CONFIG_HOME = path.join(temp.home, '.config')
    if (!options.keychain) process.env.SIGNET_NO_KEYCHAIN = '1'
  })
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    temp?.cleanup()
    temp = undefined
  })
  return () => {
    if (!temp) throw new Error('the temp home exists only while a test runs')
    return temp
  }
}
