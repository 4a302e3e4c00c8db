import path from 'node:path'

import type {FileChange} from '../config/atomic-file.js'
import {readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, parseVersion, ProfiledConnector, stateFromParts, versionAtLeast} from './connector.js'
import {absoluteOverride, type HookEvent, nativeHooks, type Version} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {buildHookCommand, HOOK_TIMEOUT_SECONDS} from './hook-command.js'
import {type DesiredHook, findSignetHooks, reconcileHookGroups, removeSignetHooks, staleHookProblems} from './hook-groups.js'
import {getJsonValue, isEmptyJsonObject, removeJsonValue, setJsonValue} from './json-config-file.js'
import {withSkillLinks, withSkillStatus, withSkillUnlinks} from './skill-links.js'

/**
 * Claude Code: hooks in `settings.json` (timeouts in seconds), the MCP server in
 * `~/.claude.json` (Claude ignores `mcpServers` in settings.json). `CLAUDE_CONFIG_DIR` moves both.
 */

const PROFILE = HARNESS_PROFILES['claude-code']

interface ClaudeEvent {
  harnessEvent: string
  signetEvent: HookEvent
  /** First Claude Code version that accepts this key; an unknown key voids the whole settings file. */
  since: Version
  /** Written only when the installed version is known to support it. */
  needsProbe?: boolean
}

const CLAUDE_EVENTS: ClaudeEvent[] = nativeHooks(PROFILE).map((hook) => ({
  harnessEvent: hook.native,
  signetEvent: hook.event,
  // a hook without `since` is as old as Claude Code's hooks themselves
  since: hook.since ?? [0, 0, 0],
  needsProbe: hook.needsVersionProbe,
}))

export function claudePaths(ctx: ConnectorContext) {
  const configDir = PROFILE.configDir(ctx)
  return {
    configDir,
    settings: path.join(configDir, 'settings.json'),
    // .claude.json sits beside the config dir only when CLAUDE_CONFIG_DIR moves it
    mcpFile: absoluteOverride(ctx.env.CLAUDE_CONFIG_DIR) ? path.join(configDir, '.claude.json') : path.join(ctx.home, '.claude.json'),
  }
}

/** The events to write for this Claude Code version (unknown version → the long-standing four). */
export function claudeEventsFor(versionOutput: string | undefined): ClaudeEvent[] {
  const version = parseVersion(versionOutput)
  return CLAUDE_EVENTS.filter((event) => (version ? versionAtLeast(version, event.since) : !event.needsProbe))
}

function desiredHooks(ctx: ConnectorContext, events: ClaudeEvent[]): DesiredHook[] {
  return events.map((event) => ({
    harnessEvent: event.harnessEvent,
    handler: {type: 'command', command: buildHookCommand(ctx.entry, event.signetEvent, PROFILE.id), timeout: HOOK_TIMEOUT_SECONDS[event.signetEvent]},
  }))
}

function mcpEntry(ctx: ConnectorContext) {
  return {type: 'stdio', command: ctx.entry.node, args: [ctx.entry.mcpJs, '--harness', PROFILE.id], env: {}}
}

export class ClaudeCodeConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => {
      const paths = claudePaths(ctx)
      return [paths.configDir, paths.mcpFile]
    })
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = claudePaths(ctx)
    const version = await ctx.probeVersion(PROFILE.binary)
    const hooks = desiredHooks(ctx, claudeEventsFor(version))
    const files: FileChange[] = [
      await editConfigFile(paths.settings, (text) => reconcileHookGroups(text, ['hooks'], hooks, paths.settings)),
      await editConfigFile(paths.mcpFile, (text) => setJsonValue(text, ['mcpServers', 'signet'], mcpEntry(ctx), paths.mcpFile)),
    ]
    const notes = ['Restart Claude Code (or run /hooks) to load the Signet hooks and the signet MCP server.']
    if ((await getJsonValue(readTextIfExists(paths.settings) ?? '', ['disableAllHooks'], paths.settings)) === true) {
      notes.push(`${paths.settings} sets "disableAllHooks": true — Signet's hooks will not run until you remove it.`)
    }
    return withSkillLinks(ctx, {harness: this.id, files, notes})
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = claudePaths(ctx)
    const files = [
      await editConfigFile(paths.settings, (text) => removeSignetHooks(text, ['hooks'], paths.settings), {isEmpty: isEmptyJsonObject}),
      await editConfigFile(paths.mcpFile, (text) => removeJsonValue(text, ['mcpServers', 'signet'], paths.mcpFile), {isEmpty: isEmptyJsonObject}),
    ]
    return withSkillUnlinks(ctx, {harness: this.id, files, notes: []})
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = claudePaths(ctx)
    const detection = await this.detect(ctx)
    const problems: string[] = []
    const settings = readTextIfExists(paths.settings) ?? ''
    const owned = await findSignetHooks(settings, ['hooks'], paths.settings)
    const wanted = claudeEventsFor(detection.version)
    const missing = wanted.filter((event) => !owned.some((hook) => hook.harnessEvent === event.harnessEvent))
    if (owned.length > 0 && missing.length > 0)
      problems.push(`hooks missing for ${missing.map((e) => e.harnessEvent).join(', ')} — run \`signet connector install ${this.id}\``)
    problems.push(...staleHookProblems(owned, this.id))
    if ((await getJsonValue(settings, ['disableAllHooks'], paths.settings)) === true) problems.push(`${paths.settings} disables all hooks`)
    const mcp = await getJsonValue(readTextIfExists(paths.mcpFile) ?? '', ['mcpServers', 'signet'], paths.mcpFile)
    const hooksPresent = owned.length > 0 && missing.length === 0
    return withSkillStatus(ctx, {
      harness: this.id,
      state: stateFromParts([hooksPresent, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: paths.settings, present: hooksPresent, what: `hooks: ${owned.map((h) => h.harnessEvent).join(', ') || 'none'}`},
        {path: paths.mcpFile, present: mcp !== undefined, what: 'mcpServers.signet'},
      ],
      problems,
    })
  }
}
