import {existsSync} from 'node:fs'
import path from 'node:path'

import {type FileChange, readTextIfExists} from './atomic-file.js'
import {editConfigFile} from './config-file-edit.js'
import {type Connector, type ConnectorContext, type ConnectorStatus, type Detection, type InstallResult, stateFromParts} from './connector.js'
import {buildHookCommand, HOOK_TIMEOUT_SECONDS, type HookEvent} from './hook-command.js'
import {type DesiredHook, findSignetHooks, reconcileHookGroups, removeSignetHooks, staleHookProblems} from './hook-groups.js'
import {isEmptyJsonObject} from './json-config-file.js'
import {getTomlValue, removeTomlTable, upsertTomlTable} from './toml-config-file.js'

/**
 * Codex CLI: hooks in `hooks.json` (schema-strict: only fields Codex knows, timeouts in
 * seconds) and the MCP server as `[mcp_servers.signet]` in `config.toml`, edited in place.
 * `CODEX_HOME` moves both.
 */

const CODEX_EVENTS: Array<{harnessEvent: string; signetEvent: HookEvent}> = [
  {harnessEvent: 'SessionStart', signetEvent: 'session-start'},
  {harnessEvent: 'UserPromptSubmit', signetEvent: 'user-prompt-submit'},
  // Codex's SessionEnd is capped at 3 s; Stop (end of every turn) gives the transcript upload time.
  {harnessEvent: 'Stop', signetEvent: 'session-end'},
]

/**
 * Codex starts MCP servers with a scrubbed environment; these names (never values) are
 * forwarded so a shell's SIGNET_* settings still reach `signet mcp`.
 */
const FORWARDED_ENV = ['SIGNET_WORKSPACE', 'SIGNET_PATH', 'SIGNET_DAEMON_URL', 'SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_AGENT_ID', 'XDG_CONFIG_HOME']

const MCP_TABLE = ['mcp_servers', 'signet']

export function codexPaths(ctx: ConnectorContext) {
  const override = ctx.env.CODEX_HOME
  const home = override && path.isAbsolute(override) ? override : path.join(ctx.home, '.codex')
  return {home, hooks: path.join(home, 'hooks.json'), config: path.join(home, 'config.toml')}
}

function desiredHooks(ctx: ConnectorContext): DesiredHook[] {
  return CODEX_EVENTS.map((event) => ({
    harnessEvent: event.harnessEvent,
    handler: {type: 'command', command: buildHookCommand(ctx.entry, event.signetEvent, 'codex'), timeout: HOOK_TIMEOUT_SECONDS[event.signetEvent]},
  }))
}

export function codexMcpTable(ctx: ConnectorContext) {
  return {command: ctx.entry.node, args: [ctx.entry.mcpJs], env_vars: FORWARDED_ENV}
}

export class CodexConnector implements Connector {
  readonly id = 'codex' as const
  readonly displayName = 'Codex CLI'

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const paths = codexPaths(ctx)
    const version = await ctx.probeVersion('codex')
    return {detected: Boolean(version) || existsSync(paths.home), version, configDir: paths.home}
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = codexPaths(ctx)
    const files: FileChange[] = [
      editConfigFile(paths.hooks, (text) => reconcileHookGroups(text, ['hooks'], desiredHooks(ctx), paths.hooks)),
      editConfigFile(paths.config, (text) => upsertTomlTable(text, MCP_TABLE, codexMcpTable(ctx), paths.config), {mode: 0o600}),
    ]
    const notes = [
      'Codex runs only hooks you have trusted: start `codex` and approve the Signet hooks under /hooks (untrusted hooks are skipped silently).',
    ]
    return {harness: this.id, files, notes}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = codexPaths(ctx)
    const files = [
      editConfigFile(paths.hooks, (text) => removeSignetHooks(text, ['hooks'], paths.hooks), {isEmpty: isEmptyJsonObject}),
      editConfigFile(paths.config, (text) => removeTomlTable(text, MCP_TABLE, paths.config), {isEmpty: (text) => text.trim() === ''}),
    ]
    return {harness: this.id, files, notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = codexPaths(ctx)
    const detection = await this.detect(ctx)
    const owned = findSignetHooks(readTextIfExists(paths.hooks) ?? '', ['hooks'], paths.hooks)
    const hooksPresent = CODEX_EVENTS.every((event) => owned.some((hook) => hook.harnessEvent === event.harnessEvent))
    const mcp = getTomlValue(readTextIfExists(paths.config) ?? '', MCP_TABLE, paths.config)
    const problems = staleHookProblems(owned, this.id)
    const features = getTomlValue(readTextIfExists(paths.config) ?? '', ['features'], paths.config) as Record<string, unknown> | undefined
    if (features?.hooks === false || features?.codex_hooks === false) problems.push(`${paths.config} turns hooks off ([features] hooks = false)`)
    return {
      harness: this.id,
      state: stateFromParts([hooksPresent, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: paths.hooks, present: hooksPresent, what: `hooks: ${owned.map((h) => h.harnessEvent).join(', ') || 'none'}`},
        {path: paths.config, present: mcp !== undefined, what: '[mcp_servers.signet]'},
      ],
      problems,
    }
  }
}
