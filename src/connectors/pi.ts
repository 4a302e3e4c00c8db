import {existsSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {readTextIfExists} from '../config/atomic-file.js'
import {removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type Connector, type ConnectorContext, type ConnectorStatus, type Detection, type InstallResult, stateFromParts} from './connector.js'
import {PI_EXTENSION_HEADER, renderPiExtension} from './pi-extension-source.js'

/**
 * Pi coding agent: no hooks and no MCP, so Signet is one auto-discovered extension file in
 * `<agentDir>/extensions/` with lifecycle handlers and the signet_* tools.
 * `PI_CODING_AGENT_DIR` moves the agent dir.
 */

export function piPaths(ctx: ConnectorContext) {
  const override = ctx.env.PI_CODING_AGENT_DIR
  const expanded = override?.startsWith('~/') ? path.join(ctx.home, override.slice(2)) : override
  const agentDir = expanded && path.isAbsolute(expanded) ? expanded : path.join(ctx.home, '.pi', 'agent')
  return {agentDir, extension: path.join(agentDir, 'extensions', 'signet.js')}
}

function isOurExtension(text: string): boolean {
  return text.startsWith(PI_EXTENSION_HEADER)
}

export class PiConnector implements Connector {
  readonly id = 'pi' as const
  readonly displayName = 'Pi'

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const paths = piPaths(ctx)
    const version = await ctx.probeVersion('pi')
    return {detected: Boolean(version) || existsSync(paths.agentDir), version, configDir: paths.agentDir}
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = piPaths(ctx)
    const file = writeGeneratedFile(paths.extension, renderPiExtension(ctx.entry.bridgeJs), isOurExtension)
    return {harness: this.id, files: [file], notes: ['Restart Pi (or run /reload) to load the Signet extension.']}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    return {harness: this.id, files: [removeGeneratedFile(piPaths(ctx).extension, isOurExtension)], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = piPaths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(paths.extension)
    const ours = text !== undefined && isOurExtension(text)
    const problems: string[] = []
    if (text !== undefined && !ours) problems.push(`${paths.extension} exists but was not written by Signet`)
    if (ours && !existsSync(ctx.entry.bridgeJs)) problems.push(`${ctx.entry.bridgeJs} is missing — rebuild or reinstall signetai`)
    if (ours && !text.includes(pathToFileURL(ctx.entry.bridgeJs).href)) problems.push(`${paths.extension} loads another Signet install — run \`signet connector install pi\``)
    return {
      harness: this.id,
      state: stateFromParts([ours]),
      detected: detection.detected,
      version: detection.version,
      files: [{path: paths.extension, present: ours, what: 'extension (signet_recall, signet_remember, signet_session_search)'}],
      problems,
    }
  }
}
