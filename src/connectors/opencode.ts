import {existsSync} from 'node:fs'
import path from 'node:path'

import {readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile, removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {HOOK_TIMEOUT_SECONDS, type SignetEntryPoints} from './hook-command.js'
import {appendJsonArrayItem, getJsonValue, isEmptyJsonObject, removeJsonValue, setJsonValue} from './json-config-file.js'
import {generatedHeader, renderPluginAsset} from './plugin-assets.js'

/**
 * OpenCode: an in-process plugin file in `<config>/plugins/signet.mjs` (source:
 * assets/plugins/opencode/signet.mjs), registered in the global config (`opencode.jsonc` if the
 * user has one, else `opencode.json`) together with `mcp.signet`. JSONC comments and everything
 * else in the config are preserved.
 */

const PROFILE = HARNESS_PROFILES.opencode
const PLUGIN_SPEC = './plugins/signet.mjs'
const OPENCODE_PLUGIN_HEADER = generatedHeader(PROFILE.id)

/** The plugin file: its source with the node binary, bin/run.js and each hook's timeout (ms) recorded. */
export function renderOpenCodePlugin(entry: Pick<SignetEntryPoints, 'node' | 'runJs'>): string {
  const timeoutMs = Object.fromEntries(Object.entries(HOOK_TIMEOUT_SECONDS).map(([event, seconds]) => [event, seconds * 1000]))
  return renderPluginAsset('opencode/signet.mjs', PROFILE.id, {node: entry.node, runJs: entry.runJs, timeoutMs})
}

export function opencodePaths(ctx: ConnectorContext) {
  const dir = PROFILE.configDir(ctx)
  // jsonc is merged last and wins, so edit it when present; never create a second file beside it
  const candidates = ['opencode.jsonc', 'opencode.json', 'config.json'].map((name) => path.join(dir, name))
  const config = candidates.find((file) => existsSync(file)) ?? path.join(dir, 'opencode.json')
  return {dir, config, plugin: path.join(dir, 'plugins', 'signet.mjs')}
}

function isOurPlugin(text: string): boolean {
  return text.startsWith(OPENCODE_PLUGIN_HEADER)
}

async function pluginIndex(text: string, label: string): Promise<number> {
  const plugins = await getJsonValue(text, ['plugin'], label)
  return Array.isArray(plugins) ? plugins.findIndex((spec) => spec === PLUGIN_SPEC) : -1
}

function mcpEntry(ctx: ConnectorContext) {
  return {type: 'local', command: [ctx.entry.node, ctx.entry.mcpJs, '--harness', PROFILE.id], enabled: true}
}

export class OpenCodeConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => [opencodePaths(ctx).dir])
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = opencodePaths(ctx)
    const plugin = writeGeneratedFile(paths.plugin, renderOpenCodePlugin(ctx.entry), isOurPlugin)
    const config = await editConfigFile(paths.config, async (text) => {
      const withPlugin = (await pluginIndex(text, paths.config)) >= 0 ? text : await appendJsonArrayItem(text, ['plugin'], PLUGIN_SPEC, paths.config)
      return setJsonValue(withPlugin, ['mcp', 'signet'], mcpEntry(ctx), paths.config)
    })
    return {harness: this.id, files: [plugin, config], notes: ['Restart OpenCode to load the Signet plugin and the signet MCP server.']}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = opencodePaths(ctx)
    const config = await editConfigFile(
      paths.config,
      async (text) => {
        let next = await removeJsonValue(text, ['mcp', 'signet'], paths.config)
        for (let index = await pluginIndex(next, paths.config); index >= 0; index = await pluginIndex(next, paths.config)) {
          next = await removeJsonValue(next, ['plugin', index], paths.config)
        }
        return next
      },
      {isEmpty: isEmptyJsonObject},
    )
    const plugin = removeGeneratedFile(paths.plugin, isOurPlugin)
    return {harness: this.id, files: [plugin, config], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = opencodePaths(ctx)
    const detection = await this.detect(ctx)
    const pluginText = readTextIfExists(paths.plugin)
    const pluginOk = pluginText !== undefined && isOurPlugin(pluginText)
    const configText = readTextIfExists(paths.config) ?? ''
    const registered = (await pluginIndex(configText, paths.config)) >= 0
    const mcp = await getJsonValue(configText, ['mcp', 'signet'], paths.config)
    const problems: string[] = []
    if (pluginText !== undefined && !pluginOk) problems.push(`${paths.plugin} exists but was not written by Signet`)
    if (pluginOk && !pluginText.includes(JSON.stringify(ctx.entry.runJs)))
      problems.push(`${paths.plugin} runs another Signet install — run \`signet connector install ${this.id}\``)
    return {
      harness: this.id,
      state: stateFromParts([pluginOk, registered, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: paths.plugin, present: pluginOk, what: 'plugin'},
        {path: paths.config, present: registered, what: `plugin entry ${PLUGIN_SPEC}`},
        {path: paths.config, present: mcp !== undefined, what: 'mcp.signet'},
      ],
      problems,
    }
  }
}
