import {SignetError} from '../errors.js'
import {ClaudeCodeConnector} from './claude-code.js'
import {CodexConnector} from './codex.js'
import {type Connector, HARNESS_IDS, type HarnessId, isHarnessId} from './connector.js'
import {GeminiConnector} from './gemini.js'
import {OpenClawConnector} from './openclaw.js'
import {OpenCodeConnector} from './opencode.js'
import {PiConnector} from './pi.js'

const CONNECTORS: Record<HarnessId, Connector> = {
  'claude-code': new ClaudeCodeConnector(),
  codex: new CodexConnector(),
  opencode: new OpenCodeConnector(),
  gemini: new GeminiConnector(),
  pi: new PiConnector(),
  openclaw: new OpenClawConnector(),
}

export function allConnectors(): Connector[] {
  return HARNESS_IDS.map((id) => CONNECTORS[id])
}

/** The connector for a harness name; an unknown name lists the valid ones. */
export function connectorFor(harness: string): Connector {
  const id = harness.trim().toLowerCase()
  const alias = id === 'claude' ? 'claude-code' : id === 'gemini-cli' ? 'gemini' : id
  if (!isHarnessId(alias)) {
    throw new SignetError(`unknown harness "${harness}" — use one of: ${HARNESS_IDS.join(', ')}`, 'unknown_harness')
  }
  return CONNECTORS[alias]
}
