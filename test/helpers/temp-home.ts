import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

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
