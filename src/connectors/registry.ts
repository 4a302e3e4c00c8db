import {SignetError} from '../errors.js'
import {ClaudeCodeConnector} from './claude-code.js'
import {CodexConnector} from './codex.js'
import {type Connector, HARNESS_IDS, type HarnessId, isHarnessId} from './connector.js'
import {GeminiConnector} from './gemini.js'
import {HermesConnector} from './hermes.js'
import {OhMyPiConnector} from './oh-my-pi.js'
import {OpenClawConnector} from './openclaw.js'
import {OpenCodeConnector} from './opencode.js'
import {PiConnector} from './pi.js'

const CONNECTORS: Record<HarnessId, Connector> = {
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

/** Names users type for a harness (package or product names) → the connector id. */
const ALIASES: Record<string, HarnessId> = {claude: 'claude-code', 'gemini-cli': 'gemini', 'oh-my-pi': 'omp', ohmypi: 'omp', 'hermes-agent': 'hermes'}

/** The connector for a harness name; an unknown name lists the valid ones. */
export function connectorFor(harness: string): Connector {
  const id = harness.trim().toLowerCase()
  const alias = ALIASES[id] ?? id
  if (!isHarnessId(alias)) {
    throw new SignetError(`unknown harness "${harness}" — use one of: ${HARNESS_IDS.join(', ')}`, 'unknown_harness')
  }
  return CONNECTORS[alias]
}
