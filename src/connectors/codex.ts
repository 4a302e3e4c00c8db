import path from 'node:path'

import {readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile} from './config-file-edit.js'
import {withSkillLinks, withSkillStatus, withSkillUnlinks} from './skill-links.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {codexHookKey, findOnPath, listCodexHooks} from './codex-hook-trust.js'
import {nativeHooks} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {buildHookCommand, HOOK_TIMEOUT_SECONDS, signetHookEventOf} from './hook-command.js'
import {type DesiredHook, findSignetHooks, reconcileHookGroups, removeSignetHooks, staleHookProblems} from './hook-groups.js'
import {isEmptyJsonObject} from './json-config-file.js'
import {getTomlValue, removeTomlTable, upsertTomlTable} from './toml-config-file.js'

/**
 * Codex CLI: hooks in `hooks.json` (schema-strict: only fields Codex knows, timeouts in
 * seconds) and the MCP server as `[mcp_servers.signet]` in `config.toml`, edited in place.
 * `CODEX_HOME` moves both.
 */

const PROFILE = HARNESS_PROFILES.codex

/** The hooks written into hooks.json: the profile's events (src/harnesses/codex.ts says why PostCompact is not one). */
const CODEX_EVENTS = nativeHooks(PROFILE)

/**
 * Codex starts MCP servers with a scrubbed environment; these names (never values) are
 * forwarded so a shell's SIGNET_* settings still reach `signet mcp`.
 */
const FORWARDED_ENV = ['SIGNET_WORKSPACE', 'SIGNET_PATH', 'SIGNET_DAEMON_URL', 'SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_AGENT_ID', 'XDG_CONFIG_HOME']

const MCP_TABLE = ['mcp_servers', 'signet']

export function codexPaths(ctx: ConnectorContext) {
  const home = PROFILE.configDir(ctx)
  return {home, hooks: path.join(home, 'hooks.json'), config: path.join(home, 'config.toml')}
}

function desiredHooks(ctx: ConnectorContext): DesiredHook[] {
  return CODEX_EVENTS.map((hook) => ({
    harnessEvent: hook.native,
    handler: {type: 'command', command: buildHookCommand(ctx.entry, hook.event, PROFILE.id), timeout: hook.timeoutSeconds ?? HOOK_TIMEOUT_SECONDS[hook.event]},
  }))
}

export function codexMcpTable(ctx: ConnectorContext) {
  return {command: ctx.entry.node, args: [ctx.entry.mcpJs, '--harness', PROFILE.id], env_vars: FORWARDED_ENV}
}

export class CodexConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => [codexPaths(ctx).home])
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = codexPaths(ctx)
    const hooksFile = await editConfigFile(paths.hooks, (text) => reconcileHookGroups(text, ['hooks'], desiredHooks(ctx), paths.hooks))
    const trust = await this.trustedHashes(ctx, paths)
    const configFile = await editConfigFile(
      paths.config,
      async (text) => {
        let next = await upsertTomlTable(text, MCP_TABLE, codexMcpTable(ctx), paths.config)
        for (const hook of trust ?? []) next = await upsertTomlTable(next, ['hooks', 'state', hook.key], {trusted_hash: hook.hash}, paths.config)
        return next
      },
      {mode: 0o600},
    )
    const notes = trust
      ? [`Trusted the ${trust.length} Signet hooks in Codex (what approving them under /hooks does); restart Codex to load them.`]
      : ['Codex runs only hooks you have trusted: start `codex` and approve the Signet hooks under /hooks (untrusted hooks are skipped silently).']
    return withSkillLinks(ctx, {harness: this.id, files: [hooksFile, configFile], notes})
  }

  /**
   * Ask the installed Codex for the hash of each Signet hook it now sees, to record them as
   * trusted. Undefined when Codex is not on PATH or does not answer (then the user approves
   * them under /hooks).
   */
  private async trustedHashes(ctx: ConnectorContext, paths: ReturnType<typeof codexPaths>): Promise<Array<{key: string; hash: string}> | undefined> {
    const codex = findOnPath(PROFILE.binary, ctx.env)
    if (!codex) return undefined
    const hooks = await listCodexHooks(codex, ctx.home, {...ctx.env, HOME: ctx.home})
    const ours = hooks?.filter((hook) => hook.sourcePath === paths.hooks && signetHookEventOf(hook.command) !== undefined && hook.currentHash)
    if (!ours || ours.length !== CODEX_EVENTS.length) return undefined
    return ours.map((hook) => ({key: hook.key, hash: hook.currentHash}))
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = codexPaths(ctx)
    // trust entries are keyed by each hook's position in hooks.json: read them before removing the hooks
    const owned = await findSignetHooks(readTextIfExists(paths.hooks) ?? '', ['hooks'], paths.hooks)
    const trustKeys = owned.map((hook) => codexHookKey(paths.hooks, hook.harnessEvent, hook.groupIndex, hook.handlerIndex))
    const files = [
      await editConfigFile(paths.hooks, (text) => removeSignetHooks(text, ['hooks'], paths.hooks), {isEmpty: isEmptyJsonObject}),
      await editConfigFile(
        paths.config,
        async (text) => {
          let next = await removeTomlTable(text, MCP_TABLE, paths.config)
          for (const key of trustKeys) next = await removeTomlTable(next, ['hooks', 'state', key], paths.config)
          return next
        },
        {isEmpty: (text) => text.trim() === ''},
      ),
    ]
    return withSkillUnlinks(ctx, {harness: this.id, files, notes: []})
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = codexPaths(ctx)
    const detection = await this.detect(ctx)
    const owned = await findSignetHooks(readTextIfExists(paths.hooks) ?? '', ['hooks'], paths.hooks)
    const hooksPresent = CODEX_EVENTS.every((event) => owned.some((hook) => hook.harnessEvent === event.native))
    const mcp = await getTomlValue(readTextIfExists(paths.config) ?? '', MCP_TABLE, paths.config)
    const problems = staleHookProblems(owned, this.id)
    const features = (await getTomlValue(readTextIfExists(paths.config) ?? '', ['features'], paths.config)) as Record<string, unknown> | undefined
    if (features?.hooks === false || features?.codex_hooks === false) problems.push(`${paths.config} turns hooks off ([features] hooks = false)`)
    const configText = readTextIfExists(paths.config) ?? ''
    const untrusted: typeof owned = []
    for (const hook of owned) {
      const key = codexHookKey(paths.hooks, hook.harnessEvent, hook.groupIndex, hook.handlerIndex)
      if ((await getTomlValue(configText, ['hooks', 'state', key, 'trusted_hash'], paths.config)) === undefined) untrusted.push(hook)
    }
    if (untrusted.length > 0)
      problems.push(
        `Codex skips untrusted hooks: approve ${untrusted.map((h) => h.harnessEvent).join(', ')} under /hooks in codex (or reinstall with codex on PATH)`,
      )
    return withSkillStatus(ctx, {
      harness: this.id,
      state: stateFromParts([hooksPresent, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: paths.hooks, present: hooksPresent, what: `hooks: ${owned.map((h) => h.harnessEvent).join(', ') || 'none'}`},
        {path: paths.config, present: mcp !== undefined, what: '[mcp_servers.signet]'},
      ],
      problems,
    })
  }
}
