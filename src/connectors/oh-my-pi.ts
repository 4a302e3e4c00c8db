import {HARNESS_PROFILES} from '../harnesses/registry.js'
import type {ConnectorContext} from './connector.js'
import {piFamilyPaths, PiFamilyConnector} from './pi.js'

/**
 * Oh My Pi (`omp`), a fork of Pi with its own config root `~/.omp` (profiles and overrides in
 * src/harnesses/omp.ts). Same extension model as Pi: one auto-discovered file in `<agentDir>/extensions/`.
 */

export const ompPaths = (ctx: ConnectorContext) => piFamilyPaths(HARNESS_PROFILES.omp, ctx)

export class OhMyPiConnector extends PiFamilyConnector<'omp'> {
  constructor() {
    super({profile: HARNESS_PROFILES.omp, restartNote: 'Restart Oh My Pi (omp) to load the Signet extension.'})
  }
}
