import {SignetError} from '../errors.js'
import {HARNESS_IDS, type HarnessId, harnessIdFor} from '../harnesses/registry.js'
import {ClaudeCodeConnector} from './claude-code.js'
import {CodexConnector} from './codex.js'
import type {Connector} from './connector.js'
import {GeminiConnector} from './gemini.js'
import {HermesConnector} from './hermes.js'
import {OhMyPiConnector} from './oh-my-pi.js'
import {OpenClawConnector} from './openclaw.js'
import {OpenCodeConnector} from './opencode.js'
import {PiConnector} from './pi.js'

/** One connector per harness profile, each for its own id: a profile without a connector fails the type check. */
const CONNECTORS: {[Id in HarnessId]: Connector & {id: Id}} = {
  'claude-code': new ClaudeCodeConnector(),
  codex: new CodexConnector(),
  opencode: new OpenCodeConnector(),
  gemini: new GeminiConnector(),
  pi: new PiConnector(),
  omp: new OhMyPiConnector(),
  openclaw: new OpenClawConnector(),
  hermes: new HermesConnector(),
}

export function allConnectors(): Connector[] {
  return HARNESS_IDS.map((id) => CONNECTORS[id])
}

/** The connector for a harness name or alias (src/harnesses/); an unknown name lists the valid ones. */
export function connectorFor(harness: string): Connector {
  const id = harnessIdFor(harness)
  if (!id) throw new SignetError(`unknown harness "${harness}" — use one of: ${HARNESS_IDS.join(', ')}`, 'unknown_harness')
  return CONNECTORS[id]
}
