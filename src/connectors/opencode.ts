import {existsSync} from 'node:fs'
import path from 'node:path'

import {readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile, removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type Connector, type ConnectorContext, type ConnectorStatus, type Detection, type InstallResult, stateFromParts} from './connector.js'
import {appendJsonArrayItem, getJsonValue, isEmptyJsonObject, removeJsonValue, setJsonValue} from './json-config-file.js'
import {OPENCODE_PLUGIN_HEADER, renderOpenCodePlugin} from './opencode-plugin-source.js'

/**
 * OpenCode: an in-process plugin file in `<config>/plugins/signet.mjs`, registered in the
 * global config (`opencode.jsonc` if the user has one, else `opencode.json`) together with
 * `mcp.signet`. JSONC comments and everything else in the config are preserved.
 */

const PLUGIN_SPEC = './plugins/signet.mjs'

export function opencodePaths(ctx: ConnectorContext) {
  const xdg = ctx.env.XDG_CONFIG_HOME
  const dir = path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(ctx.home, '.config'), 'opencode')
  // jsonc is merged last and wins, so edit it when present; never create a second file beside it
  const candidates = ['opencode.jsonc', 'opencode.json', 'config.json'].map((name) => path.join(dir, name))
  const config = candidates.find((file) => existsSync(file)) ?? path.join(dir, 'opencode.json')
  return {dir, config, plugin: path.join(dir, 'plugins', 'signet.mjs')}
}

function isOurPlugin(text: string): boolean {
  return text.startsWith(OPENCODE_PLUGIN_HEADER)
}

function pluginIndex(text: string, label: string): number {
  const plugins = getJsonValue(text, ['plugin'], label)
  return Array.isArray(plugins) ? plugins.findIndex((spec) => spec === PLUGIN_SPEC) : -1
}

function mcpEntry(ctx: ConnectorContext) {
  return {type: 'local', command: [ctx.entry.node, ctx.entry.mcpJs, '--harness', 'opencode'], enabled: true}
}

export class OpenCodeConnector implements Connector {
  readonly id = 'opencode' as const
  readonly displayName = 'OpenCode'

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const paths = opencodePaths(ctx)
    const version = await ctx.probeVersion('opencode')
    return {detected: Boolean(version) || existsSync(paths.dir), version, configDir: paths.dir}
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = opencodePaths(ctx)
    const plugin = writeGeneratedFile(paths.plugin, renderOpenCodePlugin(ctx.entry), isOurPlugin)
    const config = editConfigFile(paths.config, (text) => {
      const withPlugin = pluginIndex(text, paths.config) >= 0 ? text : appendJsonArrayItem(text, ['plugin'], PLUGIN_SPEC, paths.config)
      return setJsonValue(withPlugin, ['mcp', 'signet'], mcpEntry(ctx), paths.config)
    })
    return {harness: this.id, files: [plugin, config], notes: ['Restart OpenCode to load the Signet plugin and the signet MCP server.']}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = opencodePaths(ctx)
    const config = editConfigFile(paths.config, (text) => {
      let next = removeJsonValue(text, ['mcp', 'signet'], paths.config)
      for (let index = pluginIndex(next, paths.config); index >= 0; index = pluginIndex(next, paths.config)) {
        next = removeJsonValue(next, ['plugin', index], paths.config)
      }
      return next
    }, {isEmpty: isEmptyJsonObject})
    const plugin = removeGeneratedFile(paths.plugin, isOurPlugin)
    return {harness: this.id, files: [plugin, config], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = opencodePaths(ctx)
    const detection = await this.detect(ctx)
    const pluginText = readTextIfExists(paths.plugin)
    const pluginOk = pluginText !== undefined && isOurPlugin(pluginText)
    const configText = readTextIfExists(paths.config) ?? ''
    const registered = pluginIndex(configText, paths.config) >= 0
    const mcp = getJsonValue(configText, ['mcp', 'signet'], paths.config)
    const problems: string[] = []
    if (pluginText !== undefined && !pluginOk) problems.push(`${paths.plugin} exists but was not written by Signet`)
    if (pluginOk && !pluginText.includes(JSON.stringify(ctx.entry.runJs))) problems.push(`${paths.plugin} runs another Signet install — run \`signet connector install opencode\``)
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
