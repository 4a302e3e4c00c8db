import {existsSync, readdirSync, rmdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {SignetError} from '../errors.js'
import {type FileChange, readTextIfExists} from '../config/atomic-file.js'
import {editConfigFile, removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {absoluteOverride} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import type {SignetEntryPoints} from './hook-command.js'
import {appendJsonArrayItem, getJsonValue, isEmptyJsonObject, removeJsonValue, setJsonValue} from './json-config-file.js'
import {generatedHeader, readPluginAsset, renderPluginAsset} from './plugin-assets.js'

/**
 * OpenClaw: a native plugin directory in `<state>/extensions/signet/` (auto-discovered; sources in
 * assets/plugins/openclaw/), and in `openclaw.json` (JSON5) the plugin entry with conversation
 * access (needed for `before_prompt_build`), `signet` in an existing allow-list, and
 * `mcp.servers.signet`. Overrides: `OPENCLAW_CONFIG_PATH`, `OPENCLAW_STATE_DIR`, `OPENCLAW_PROFILE`.
 */

const PROFILE = HARNESS_PROFILES.openclaw

/** The plugin's id: its directory name, its config entry, and the `id` in its manifest and entry module. */
export const OPENCLAW_PLUGIN_ID = 'signet'

/** First line of the generated entry module; how uninstall knows the plugin directory is ours. */
const OPENCLAW_PLUGIN_HEADER = generatedHeader(PROFILE.id)

/** The entry module: its source with the harness bridge, node binary and bin/run.js of this Signet recorded. */
export function renderOpenClawEntry(entry: Pick<SignetEntryPoints, 'node' | 'runJs' | 'bridgeJs'>): string {
  return renderPluginAsset('openclaw/index.js', PROFILE.id, {bridgeUrl: pathToFileURL(entry.bridgeJs).href, signet: {node: entry.node, runJs: entry.runJs}})
}

export function openclawPaths(ctx: ConnectorContext) {
  const stateDir = PROFILE.configDir(ctx)
  const config = absoluteOverride(ctx.env.OPENCLAW_CONFIG_PATH) ?? path.join(stateDir, 'openclaw.json')
  const pluginDir = path.join(stateDir, 'extensions', OPENCLAW_PLUGIN_ID)
  return {
    stateDir,
    config,
    pluginDir,
    pluginFiles: {
      entry: path.join(pluginDir, 'index.js'),
      manifest: path.join(pluginDir, 'openclaw.plugin.json'),
      packageJson: path.join(pluginDir, 'package.json'),
    },
  }
}

const ENTRY_PATH = ['plugins', 'entries', OPENCLAW_PLUGIN_ID]
const MCP_PATH = ['mcp', 'servers', 'signet']
/** openclaw.json is JSON5 (OpenClaw's documented format): every edit keeps the user's bytes. */
const JSON5_DIALECT = 'json5' as const

function entryValue() {
  return {enabled: true, hooks: {allowConversationAccess: true}}
}

function mcpEntry(ctx: ConnectorContext) {
  return {command: ctx.entry.node, args: [ctx.entry.mcpJs, '--harness', PROFILE.id]}
}

function isOurEntryModule(text: string): boolean {
  return text.startsWith(OPENCLAW_PLUGIN_HEADER)
}

export class OpenClawConnector extends ProfiledConnector<typeof PROFILE.id> {
  constructor() {
    super(PROFILE, (ctx) => {
      const paths = openclawPaths(ctx)
      return [paths.stateDir, paths.config]
    })
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = openclawPaths(ctx)
    const existingEntry = readTextIfExists(paths.pluginFiles.entry)
    if (existingEntry === undefined && existsSync(paths.pluginDir) && readdirSync(paths.pluginDir).length > 0) {
      throw new SignetError(`refusing to write into ${paths.pluginDir}: it holds a plugin Signet did not write — move it aside and retry`, 'foreign_file')
    }
    const notes: string[] = []
    const files: FileChange[] = [
      writeGeneratedFile(paths.pluginFiles.entry, renderOpenClawEntry(ctx.entry), isOurEntryModule),
      writeGeneratedFile(
        paths.pluginFiles.manifest,
        readPluginAsset('openclaw/openclaw.plugin.json'),
        () => existingEntry !== undefined && isOurEntryModule(existingEntry),
      ),
      writeGeneratedFile(
        paths.pluginFiles.packageJson,
        readPluginAsset('openclaw/package.json'),
        () => existingEntry !== undefined && isOurEntryModule(existingEntry),
      ),
    ]
    files.push(
      await editConfigFile(
        paths.config,
        async (text) => {
          let next = await setJsonValue(text, ENTRY_PATH, entryValue(), paths.config, JSON5_DIALECT)
          const allow = await getJsonValue(next, ['plugins', 'allow'], paths.config, JSON5_DIALECT)
          // only join an allow-list the user already has: creating one would block every other plugin
          if (Array.isArray(allow) && !allow.includes(OPENCLAW_PLUGIN_ID))
            next = await appendJsonArrayItem(next, ['plugins', 'allow'], OPENCLAW_PLUGIN_ID, paths.config, JSON5_DIALECT)
          return setJsonValue(next, MCP_PATH, mcpEntry(ctx), paths.config, JSON5_DIALECT)
        },
        {mode: 0o600},
      ),
    )
    const slot = await getJsonValue(readTextIfExists(paths.config) ?? '', ['plugins', 'slots', 'memory'], paths.config, JSON5_DIALECT)
    if (slot === 'none') notes.push('plugins.slots.memory is "none": OpenClaw\'s own memory is off; Signet does not need the slot.')
    notes.push('OpenClaw hot-reloads plugin config; if the gateway is running and does not pick Signet up, run `openclaw plugins reload signet`.')
    return {harness: this.id, files, notes}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = openclawPaths(ctx)
    const entryText = readTextIfExists(paths.pluginFiles.entry)
    const ours = entryText !== undefined && isOurEntryModule(entryText)
    const files: FileChange[] = ours
      ? [
          removeGeneratedFile(paths.pluginFiles.entry, isOurEntryModule),
          removeGeneratedFile(paths.pluginFiles.manifest, () => true),
          removeGeneratedFile(paths.pluginFiles.packageJson, () => true),
        ]
      : [{path: paths.pluginFiles.entry, action: entryText === undefined ? 'absent' : 'unchanged'}]
    if (ours && existsSync(paths.pluginDir) && readdirSync(paths.pluginDir).length === 0) rmdirSync(paths.pluginDir)
    files.push(
      await editConfigFile(
        paths.config,
        async (text) => {
          if (text.trim() === '') return text
          let next = await removeJsonValue(text, ENTRY_PATH, paths.config, {dialect: JSON5_DIALECT})
          const allow = await getJsonValue(next, ['plugins', 'allow'], paths.config, JSON5_DIALECT)
          if (Array.isArray(allow) && allow.includes(OPENCLAW_PLUGIN_ID)) {
            next = await removeJsonValue(next, ['plugins', 'allow', allow.indexOf(OPENCLAW_PLUGIN_ID)], paths.config, {
              pruneEmptyParents: false,
              dialect: JSON5_DIALECT,
            })
          }
          return removeJsonValue(next, MCP_PATH, paths.config, {dialect: JSON5_DIALECT})
        },
        {isEmpty: isEmptyJsonObject},
      ),
    )
    return {harness: this.id, files, notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = openclawPaths(ctx)
    const detection = await this.detect(ctx)
    const entryText = readTextIfExists(paths.pluginFiles.entry)
    const pluginOk = entryText !== undefined && isOurEntryModule(entryText) && existsSync(paths.pluginFiles.manifest)
    let configText = readTextIfExists(paths.config) ?? ''
    const problems: string[] = []
    try {
      await getJsonValue(configText, [], paths.config, JSON5_DIALECT)
    } catch (error) {
      problems.push((error as Error).message)
      configText = ''
    }
    const entry = (await getJsonValue(configText, ENTRY_PATH, paths.config, JSON5_DIALECT)) as
      {enabled?: boolean; hooks?: {allowConversationAccess?: boolean}} | undefined
    const mcp = await getJsonValue(configText, MCP_PATH, paths.config, JSON5_DIALECT)
    if (pluginOk && !entryText.includes(pathToFileURL(ctx.entry.bridgeJs).href))
      problems.push(`${paths.pluginFiles.entry} loads another Signet install — run \`signet connector install ${this.id}\``)
    if (entry && entry.enabled === false) problems.push(`plugins.entries.${OPENCLAW_PLUGIN_ID} is disabled in ${paths.config}`)
    if (entry && entry.hooks?.allowConversationAccess !== true)
      problems.push('the Signet plugin lacks hooks.allowConversationAccess, so it cannot add recall to prompts')
    const allow = await getJsonValue(configText, ['plugins', 'allow'], paths.config, JSON5_DIALECT)
    if (pluginOk && !entryText.includes(JSON.stringify(ctx.entry.runJs)))
      problems.push(`${paths.pluginFiles.entry} runs another Signet install — run \`signet connector install ${this.id}\``)
    if (Array.isArray(allow) && !allow.includes(OPENCLAW_PLUGIN_ID)) problems.push('plugins.allow does not list "signet"')
    return {
      harness: this.id,
      state: stateFromParts([pluginOk, entry !== undefined, mcp !== undefined]),
      detected: detection.detected,
      version: detection.version,
      files: [
        {path: paths.pluginDir, present: pluginOk, what: 'plugin (hooks + signet_* tools)'},
        {path: paths.config, present: entry !== undefined, what: `plugins.entries.${OPENCLAW_PLUGIN_ID}`},
        {path: paths.config, present: mcp !== undefined, what: 'mcp.servers.signet'},
      ],
      problems,
    }
  }
}
