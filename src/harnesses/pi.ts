import path from 'node:path'

import {absoluteOverride, expandHome, type HarnessProfile} from './profile.js'

/** Lifecycle points of the Pi extension API, which Oh My Pi shares (assets/plugins/pi/signet.js). */
export const PI_EXTENSION_EVENTS = {
  'session-start': {native: 'session_start'},
  'user-prompt-submit': {native: 'before_agent_start'},
  'pre-compaction': {native: 'session_before_compact'},
  'compaction-complete': {native: 'session_compact'},
  'session-end': {native: 'session_shutdown'},
} as const satisfies HarnessProfile['events']

/** Pi coding agent: no hooks and no MCP, so Signet is one auto-discovered extension file with hooks and tools. */
export const pi = {
  id: 'pi',
  displayName: 'Pi',
  aliases: [],
  docsUrl: 'https://github.com/badlogic/pi-mono/blob/main/packages/coding-agent/docs/extensions.md',
  binary: 'pi',
  integration: 'plugin',
  events: PI_EXTENSION_EVENTS,
  output: 'plain-text',
  transcripts: ['pi-session'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source', 'reason'], nestedFieldsIn: null},
  wrapperTags: {strip: [], unwrap: []},
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => absoluteOverride(env.PI_CODING_AGENT_DIR && expandHome(home, env.PI_CODING_AGENT_DIR)) ?? path.join(home, '.pi', 'agent'),
  envOverrides: {PI_CODING_AGENT_DIR: 'the agent directory (extensions/)'},
  instructionFile: null,
  skillsDir: null,
} as const satisfies HarnessProfile<'pi'>
