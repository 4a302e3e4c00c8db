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

/** What differs between Pi and its forks that load the same kind of extension file. */
export interface PiFamilySpec {
  id: 'pi' | 'omp'
  displayName: string
  /** The binary whose `--version` says the harness is installed. */
  binary: string
  paths(ctx: ConnectorContext): {agentDir: string; extension: string}
  render(bridgeJs: string): string
  /** The generated file's first line: how a file is recognised as ours. */
  header: string
  restartNote: string
}

/** One extension file in `<agentDir>/extensions/`: install, uninstall (byte-exact) and status. */
export class PiFamilyConnector implements Connector {
  readonly id: PiFamilySpec['id']
  readonly displayName: string

  constructor(private readonly spec: PiFamilySpec) {
    this.id = spec.id
    this.displayName = spec.displayName
  }

  private isOurExtension(text: string): boolean {
    return text.startsWith(this.spec.header)
  }

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const paths = this.spec.paths(ctx)
    const version = await ctx.probeVersion(this.spec.binary)
    return {detected: Boolean(version) || existsSync(paths.agentDir), version, configDir: paths.agentDir}
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = this.spec.paths(ctx)
    const file = writeGeneratedFile(paths.extension, this.spec.render(ctx.entry.bridgeJs), (text) => this.isOurExtension(text))
    return {harness: this.id, files: [file], notes: [this.spec.restartNote]}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    return {harness: this.id, files: [removeGeneratedFile(this.spec.paths(ctx).extension, (text) => this.isOurExtension(text))], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = this.spec.paths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(paths.extension)
    const ours = text !== undefined && this.isOurExtension(text)
    const problems: string[] = []
    if (text !== undefined && !ours) problems.push(`${paths.extension} exists but was not written by Signet`)
    if (ours && !existsSync(ctx.entry.bridgeJs)) problems.push(`${ctx.entry.bridgeJs} is missing — rebuild or reinstall signetai`)
    if (ours && !text.includes(pathToFileURL(ctx.entry.bridgeJs).href)) problems.push(`${paths.extension} loads another Signet install — run \`signet connector install ${this.id}\``)
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

export class PiConnector extends PiFamilyConnector {
  constructor() {
    super({
      id: 'pi',
      displayName: 'Pi',
      binary: 'pi',
      paths: piPaths,
      render: (bridgeJs) => renderPiExtension(bridgeJs),
      header: PI_EXTENSION_HEADER,
      restartNote: 'Restart Pi (or run /reload) to load the Signet extension.',
    })
  }
}
