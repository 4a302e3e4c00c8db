import {existsSync, mkdirSync, writeFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {SignetError} from '../errors.js'
import {writeStarterFiles} from '../setup/workspace-starter-files.js'
import {defaultWorkspacePath, workspacePaths} from './paths.js'
import {ensurePrivateDir} from './private-files.js'
import {readSavedWorkspace} from './user-config.js'

export type WorkspaceSource = 'flag' | 'env' | 'saved' | 'default'

export interface ResolvedWorkspace {
  path: string
  source: WorkspaceSource
  /** Human description of where the path came from, for `workspace show` and errors. */
  origin: string
}

/**
 * The single workspace resolver used by the CLI, daemon, hooks and MCP (docs/architecture.md, Workspace):
 * --path flag → SIGNET_WORKSPACE (alias SIGNET_PATH) → `signet workspace set` → ~/.agents.
 */
export function resolveWorkspace(options: {flag?: string} = {}): ResolvedWorkspace {
  if (options.flag) return {path: path.resolve(options.flag), source: 'flag', origin: '--path flag'}
  const fromEnv = process.env.SIGNET_WORKSPACE || process.env.SIGNET_PATH
  if (fromEnv) {
    const variable = process.env.SIGNET_WORKSPACE ? 'SIGNET_WORKSPACE' : 'SIGNET_PATH'
    return {path: path.resolve(fromEnv), source: 'env', origin: `${variable} environment variable`}
  }
  const saved = readSavedWorkspace()
  if (saved) return {path: path.resolve(saved), source: 'saved', origin: 'saved by `signet workspace set`'}
  return {path: defaultWorkspacePath(), source: 'default', origin: 'default (~/.agents)'}
}

export function isWorkspace(dir: string): boolean {
  return existsSync(workspacePaths(dir).agentYaml)
}

/**
 * Make sure the workspace exists. Only the default workspace is created on first use:
 * a configured path that vanished is an error, never silently recreated (reference bug #1813).
 */
export function ensureWorkspace(workspace: ResolvedWorkspace, options: {agentName?: string} = {}): void {
  if (isWorkspace(workspace.path)) return
  const exists = existsSync(workspace.path)
  if (exists && !statSync(workspace.path).isDirectory()) {
    throw new SignetError(`workspace ${workspace.path} (${workspace.origin}) is not a directory`)
  }
  if (workspace.source !== 'default') {
    throw new SignetError(
      `workspace ${workspace.path} (${workspace.origin}) has no agent.yaml — ` +
        'run `signet setup --workspace ' +
        workspace.path +
        '` to create it, or point to an existing workspace',
      'workspace_missing',
    )
  }
  initWorkspace(workspace.path, options)
}

const DEFAULT_AGENTS_MD = `# Agent instructions

This file is shared by every harness connected to Signet. Edit it here; Signet copies it
into each harness's instruction file.
`

/** The agent.yaml a new workspace starts with. */
export function starterAgentYaml(name: string): string {
  return [
    'version: 1',
    'agent:',
    `  name: ${JSON.stringify(name)}`,
    'network:',
    '  mode: localhost # localhost binds 127.0.0.1; tailscale binds 0.0.0.0 (auth required)',
    '  port: 3850',
    'auth:',
    '  mode: local # local | hybrid | team',
    'embedding:',
    '  provider: none',
    'harnesses: []',
    '',
  ].join('\n')
}

/** Create a fresh workspace layout. Existing files are never overwritten. */
export function initWorkspace(dir: string, options: {agentName?: string} = {}): void {
  const paths = workspacePaths(dir)
  mkdirSync(paths.skillsDir, {recursive: true})
  // Memories, transcripts, keys and logs live here: owner-only whatever the umask.
  ensurePrivateDir(paths.memoryDir)
  ensurePrivateDir(paths.daemonDir)
  const name = options.agentName ?? 'signet'
  const agentYaml = starterAgentYaml(name)
  writeIfMissing(paths.agentYaml, agentYaml)
  writeIfMissing(paths.agentsMd, DEFAULT_AGENTS_MD)
  writeIfMissing(paths.gitignore, '.daemon/\nmemory/*.db\nmemory/*.db-*\n')
  writeStarterFiles(dir)
}

function writeIfMissing(file: string, content: string): void {
  if (!existsSync(file)) writeFileSync(file, content, {mode: 0o644})
}
