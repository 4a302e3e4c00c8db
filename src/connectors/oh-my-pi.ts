import path from 'node:path'

import type {ConnectorContext} from './connector.js'
import {PiFamilyConnector} from './pi.js'
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

export class OhMyPiConnector extends PiFamilyConnector {
  constructor() {
    super({
      id: 'omp',
      displayName: 'Oh My Pi',
      binary: 'omp',
      paths: ompPaths,
      render: (bridgeJs) => renderPiExtension(bridgeJs, 'omp'),
      header: OMP_EXTENSION_HEADER,
      restartNote: 'Restart Oh My Pi (omp) to load the Signet extension.',
    })
  }
}
