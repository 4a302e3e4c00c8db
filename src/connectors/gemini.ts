import path from 'node:path'

import {readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {nativeHooks} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {buildHookCommand, HOOK_TIMEOUT_SECONDS} from './hook-command.js'
import {type DesiredHook, findSignetHooks, reconcileHookGroups, removeSignetHooks, staleHookProblems} from './hook-groups.js'
import {getJsonValue, isEmptyJsonObject, removeJsonValue, setJsonValue} from './json-config-file.js'

/**
 * Gemini CLI: hooks and `mcpServers.signet` in `~/.gemini/settings.json` (JSONC tolerated).
 * Hook timeouts are MILLISECONDS here. `GEMINI_CLI_HOME` replaces the home directory.
 */

const PROFILE = HARNESS_PROFILES.gemini
const GEMINI_EVENTS = nativeHooks(PROFILE)

export function geminiPaths(ctx: ConnectorContext) {
  const dir = PROFILE.configDir(ctx)
  return {dir, settings: path.join(dir, 'settings.json')}
}

function desiredHooks(ctx: ConnectorContext): DesiredHook[] {
  return GEMINI_EVENTS.map((hook) => ({
    harnessEvent: hook.native,
    handler: {
      type: 'command',
      command: buildHookCommand(ctx.entry, hook.event, PROFILE.id),
      timeout: HOOK_TIMEOUT_SECONDS[hook.event] * 1000,
      name: `signet-${hook.event}`,
    },
  }))
}

function mcpEntry(ctx: ConnectorContext) {
  return {command: ctx.entry.node, args: [ctx.entry.mcpJs, '--harness', PROFILE.id]}
}

export class GeminiConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => [geminiPaths(ctx).dir])
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const {settings} = geminiPaths(ctx)
    const file = await editConfigFile(settings, async (text) =>
      setJsonValue(await reconcileHookGroups(text, ['hooks'], desiredHooks(ctx), settings), ['mcpServers', 'signet'], mcpEntry(ctx), settings),
    )
    const notes = ['Gemini CLI starts stdio MCP servers only in trusted folders: run `gemini trust` in your project (or trust it when asked).']
    if ((await getJsonValue(readTextIfExists(settings) ?? '', ['hooksConfig', 'enabled'], settings)) === false) {
      notes.push(`${settings} sets hooksConfig.enabled = false — Signet's hooks will not run until you turn hooks back on.`)
    }
    return {harness: this.id, files: [file], notes}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const {settings} = geminiPaths(ctx)
    const file = await editConfigFile(
      settings,
      async (text) => removeJsonValue(await removeSignetHooks(text, ['hooks'], settings), ['mcpServers', 'signet'], settings),
      {
        isEmpty: isEmptyJsonObject,
      },
    )
    return {harness: this.id, files: [file], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const {settings} = geminiPaths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(settings) ?? ''
    const owned = await findSignetHooks(text, ['hooks'], settings)
    const hooksPresent = GEMINI_EVENTS.every((event) => owned.some((hook) => hook.harnessEvent === event.native))
    const mcp = await getJsonValue(text, ['mcpServers', 'signet'], settings)
    const problems = staleHookProblems(owned, this.id)
    if ((await getJsonValue(text, ['hooksConfig', 'enabled'], settings)) === false) problems.push(`${settings} turns hooks off (hooksConfig.enabled = false)`)
    return {
      harness: this.id,
      state: stateFromParts([hooksPresent, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: settings, present: hooksPresent, what: `hooks: ${owned.map((h) => h.harnessEvent).join(', ') || 'none'}`},
        {path: settings, present: mcp !== undefined, what: 'mcpServers.signet'},
      ],
      problems,
    }
  }
}
