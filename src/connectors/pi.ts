import {existsSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {readTextIfExists} from '../config/atomic-file.js'
import type {HarnessProfile} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type ConnectorContext, type ConnectorStatus, type InstallResult, ProfiledConnector, stateFromParts} from './connector.js'
import {generatedHeader, renderPluginAsset} from './plugin-assets.js'

/**
 * Pi coding agent and its fork Oh My Pi: no hooks and no MCP, so Signet is one auto-discovered
 * extension file in `<agentDir>/extensions/` (source: assets/plugins/pi/signet.js) with lifecycle
 * handlers and the signet_* tools. Where the agent dir is comes from each harness's profile.
 */

export type PiFlavour = 'pi' | 'omp'

/** The extension file for Pi or Oh My Pi, loading the harness bridge at `bridgeFile`. */
export function renderPiExtension(bridgeFile: string, flavour: PiFlavour = 'pi'): string {
  return renderPluginAsset('pi/signet.js', flavour, {harness: flavour, bridgeUrl: pathToFileURL(bridgeFile).href})
}

export function piFamilyPaths(profile: HarnessProfile<PiFlavour>, ctx: ConnectorContext) {
  const agentDir = profile.configDir(ctx)
  return {agentDir, extension: path.join(agentDir, 'extensions', 'signet.js')}
}

export const piPaths = (ctx: ConnectorContext) => piFamilyPaths(HARNESS_PROFILES.pi, ctx)

/** What differs between Pi and its forks that load the same kind of extension file. */
export interface PiFamilySpec<Id extends PiFlavour> {
  profile: HarnessProfile<Id>
  restartNote: string
}

/** One extension file in `<agentDir>/extensions/`: install, uninstall (byte-exact) and status. */
export class PiFamilyConnector<Id extends PiFlavour> extends ProfiledConnector<Id> {
  /** The generated file's first line: how a file is recognised as ours. */
  private readonly header: string

  constructor(private readonly spec: PiFamilySpec<Id>) {
    super(spec.profile, (ctx) => [piFamilyPaths(spec.profile, ctx).agentDir])
    this.header = generatedHeader(this.id)
  }

  private paths(ctx: ConnectorContext) {
    return piFamilyPaths(this.profile, ctx)
  }

  private isOurExtension(text: string): boolean {
    return text.startsWith(this.header)
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = this.paths(ctx)
    const file = writeGeneratedFile(paths.extension, renderPiExtension(ctx.entry.bridgeJs, this.id), (text) => this.isOurExtension(text))
    return {harness: this.id, files: [file], notes: [this.spec.restartNote]}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    return {harness: this.id, files: [removeGeneratedFile(this.paths(ctx).extension, (text) => this.isOurExtension(text))], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = this.paths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(paths.extension)
    const ours = text !== undefined && this.isOurExtension(text)
    const problems: string[] = []
    if (text !== undefined && !ours) problems.push(`${paths.extension} exists but was not written by Signet`)
    if (ours && !existsSync(ctx.entry.bridgeJs)) problems.push(`${ctx.entry.bridgeJs} is missing — rebuild or reinstall signetai`)
    if (ours && !text.includes(pathToFileURL(ctx.entry.bridgeJs).href))
      problems.push(`${paths.extension} loads another Signet install — run \`signet connector install ${this.id}\``)
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

export class PiConnector extends PiFamilyConnector<'pi'> {
  constructor() {
    super({profile: HARNESS_PROFILES.pi, restartNote: 'Restart Pi (or run /reload) to load the Signet extension.'})
  }
}
