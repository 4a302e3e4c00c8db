import {homedir} from 'node:os'
import path from 'node:path'

/** `~/.config/signet` (or `$XDG_CONFIG_HOME/signet`): user config, credentials, hook log, spool, forge. */
export function userConfigDir(): string {
  const base = process.env.XDG_CONFIG_HOME && path.isAbsolute(process.env.XDG_CONFIG_HOME) ? process.env.XDG_CONFIG_HOME : path.join(homedir(), '.config')
  return path.join(base, 'signet')
}

/**
 * `~/.cache/signet` (or `$XDG_CACHE_HOME/signet`): what can be recomputed (V8 code caches written by
 * bin/run.js, harness `--version` answers). Deleting it only costs time.
 */
export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(homedir(), '.cache')
  return path.join(base, 'signet')
}

export const DEFAULT_WORKSPACE_DIRNAME = '.agents'

export function defaultWorkspacePath(): string {
  return path.join(homedir(), DEFAULT_WORKSPACE_DIRNAME)
}

/** Every well-known file of a workspace, so no component spells a path on its own. */
export function workspacePaths(root: string) {
  const daemonDir = path.join(root, '.daemon')
  return {
    root,
    agentYaml: path.join(root, 'agent.yaml'),
    agentsMd: path.join(root, 'AGENTS.md'),
    soulMd: path.join(root, 'SOUL.md'),
    identityMd: path.join(root, 'IDENTITY.md'),
    userMd: path.join(root, 'USER.md'),
    memoryMd: path.join(root, 'MEMORY.md'),
    memoryDir: path.join(root, 'memory'),
    dbPath: path.join(root, 'memory', 'memories.db'),
    skillsDir: path.join(root, 'skills'),
    daemonDir,
    pidFile: path.join(daemonDir, 'pid'),
    lockFile: path.join(daemonDir, 'lock'),
    stateFile: path.join(daemonDir, 'daemon.json'),
    adminTokenFile: path.join(daemonDir, 'admin.token'),
    /** The owner's channel to the daemon: only processes that can enter the 0700 `.daemon/` reach it. */
    socketFile: path.join(daemonDir, 'signet.sock'),
    logsDir: path.join(daemonDir, 'logs'),
    logFile: path.join(daemonDir, 'logs', 'daemon.log'),
    gitignore: path.join(root, '.gitignore'),
  }
}

export type WorkspacePaths = ReturnType<typeof workspacePaths>
