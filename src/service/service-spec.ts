import {homedir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {DAEMON_NODE_FLAGS} from '../daemon/memory-settings.js'

/** What a user service runs: `<node> <daemon flags> <bin/run.js> daemon run --quiet --path <workspace>`, all absolute. */
export interface ServiceSpec {
  nodePath: string
  runJs: string
  workspace: string
  /** Where launchd writes the process's own stdout/stderr (crashes before the logger starts). */
  logsDir: string
}

export const SYSTEMD_UNIT_NAME = 'signet.service'
export const LAUNCHD_LABEL = 'ai.signet.daemon'

const RUN_JS = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export function defaultServiceSpec(workspace: string): ServiceSpec {
  return {nodePath: process.execPath, runJs: RUN_JS, workspace, logsDir: path.join(workspace, '.daemon', 'logs')}
}

export function serviceArguments(spec: ServiceSpec): string[] {
  return [spec.nodePath, ...DAEMON_NODE_FLAGS, spec.runJs, 'daemon', 'run', '--quiet', '--path', spec.workspace]
}

/** `~/.config/systemd/user/signet.service`, following XDG_CONFIG_HOME like systemd does. */
export function systemdUnitPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config')
  return path.join(base, 'systemd', 'user', SYSTEMD_UNIT_NAME)
}

export function launchdPlistPath(): string {
  return path.join(homedir(), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`)
}

/** A path inside a throwaway npx cache would vanish: the service must point at an installed Signet. */
export function isEphemeralInstall(runJs: string): boolean {
  return /[/\\]_npx[/\\]/.test(runJs)
}
