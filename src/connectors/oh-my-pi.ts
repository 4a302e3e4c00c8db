import {existsSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {readTextIfExists} from '../config/atomic-file.js'
import {removeGeneratedFile, writeGeneratedFile} from './config-file-edit.js'
import {type Connector, type ConnectorContext, type ConnectorStatus, type Detection, type InstallResult, stateFromParts} from './connector.js'
import {OMP_EXTENSION_HEADER, renderPiExtension} from './pi-extension-source.js'

/**
 * Oh My Pi (`@oh-my-pi/pi-coding-agent`, binary `omp`), a fork of Pi with its own config root
 * `~/.omp`. Same extension model as Pi: one auto-discovered file in `<agentDir>/extensions/`.
 * The agent dir is `~/.omp/agent`; a named profile (`OMP_PROFILE`, else the legacy `PI_PROFILE`)
 * moves it to `~/.omp/profiles/<name>/agent`; without a profile `PI_CODING_AGENT_DIR` overrides
 * it, and `PI_CONFIG_DIR` renames the `.omp` root — the same order omp resolves them in.
 */

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function expandHome(ctx: ConnectorContext, value: string): string {
  return value.startsWith('~/') ? path.join(ctx.home, value.slice(2)) : value
}

export function ompPaths(ctx: ConnectorContext) {
  const configRoot = path.join(ctx.home, ctx.env.PI_CONFIG_DIR?.trim() || '.omp')
  const ompProfile = ctx.env.OMP_PROFILE
  const profile = (ompProfile === undefined ? ctx.env.PI_PROFILE : ompProfile)?.trim()
  let agentDir: string
  if (profile && PROFILE_NAME.test(profile)) {
    agentDir = path.join(configRoot, 'profiles', profile, 'agent')
  } else {
    const override = ctx.env.PI_CODING_AGENT_DIR ? expandHome(ctx, ctx.env.PI_CODING_AGENT_DIR) : undefined
    agentDir = override && path.isAbsolute(override) ? override : path.join(configRoot, 'agent')
  }
  return {agentDir, extension: path.join(agentDir, 'extensions', 'signet.js')}
}

function isOurExtension(text: string): boolean {
  return text.startsWith(OMP_EXTENSION_HEADER)
}

export class OhMyPiConnector implements Connector {
  readonly id = 'omp' as const
  readonly displayName = 'Oh My Pi'

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const paths = ompPaths(ctx)
    const version = await ctx.probeVersion('omp')
    return {detected: Boolean(version) || existsSync(paths.agentDir), version, configDir: paths.agentDir}
  }

  async install(ctx: ConnectorContext): Promise<InstallResult> {
    const paths = ompPaths(ctx)
    const file = writeGeneratedFile(paths.extension, renderPiExtension(ctx.entry.bridgeJs, 'omp'), isOurExtension)
    return {harness: this.id, files: [file], notes: ['Restart Oh My Pi (omp) to load the Signet extension.']}
  }

  async uninstall(ctx: ConnectorContext): Promise<InstallResult> {
    return {harness: this.id, files: [removeGeneratedFile(ompPaths(ctx).extension, isOurExtension)], notes: []}
  }

  async status(ctx: ConnectorContext): Promise<ConnectorStatus> {
    const paths = ompPaths(ctx)
    const detection = await this.detect(ctx)
    const text = readTextIfExists(paths.extension)
    const ours = text !== undefined && isOurExtension(text)
    const problems: string[] = []
    if (text !== undefined && !ours) problems.push(`${paths.extension} exists but was not written by Signet`)
    if (ours && !existsSync(ctx.entry.bridgeJs)) problems.push(`${ctx.entry.bridgeJs} is missing — rebuild or reinstall signetai`)
    if (ours && !text.includes(pathToFileURL(ctx.entry.bridgeJs).href)) problems.push(`${paths.extension} loads another Signet install — run \`signet connector install omp\``)
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
