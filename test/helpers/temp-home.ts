import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

export interface TempHome {
  home: string
  workspace: string
  /** Environment for spawned processes: HOME and XDG dirs inside the temp dir, Signet vars cleared. */
  env: NodeJS.ProcessEnv
  cleanup(): void
}

const SIGNET_ENV_PREFIXES = ['SIGNET_', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'XDG_', 'PI_CODING_AGENT_DIR', 'OPENCLAW_', 'GEMINI_CLI_HOME', 'OPENCODE_']

/** A throwaway HOME with the default workspace path under it (not created: first start does that). */
export function makeTempHome(prefix = 'signet-test-'): TempHome {
  const home = mkdtempSync(path.join(tmpdir(), prefix))
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!SIGNET_ENV_PREFIXES.some((p) => key.startsWith(p))) env[key] = value
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
