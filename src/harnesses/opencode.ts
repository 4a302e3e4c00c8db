import path from 'node:path'

import {absoluteOverride, type HarnessProfile} from './profile.js'

/** OpenCode: an in-process plugin (assets/plugins/opencode/signet.mjs) registered in opencode.json with the MCP server. */
export const opencode = {
  id: 'opencode',
  displayName: 'OpenCode',
  aliases: [],
  docsUrl: 'https://opencode.ai/docs/plugins/',
  binary: 'opencode',
  integration: 'plugin',
  events: {
    // A session resumed in a new process has no session.created: its first chat.message starts it ('resume').
    'session-start': {native: 'session.created', alsoOn: ['chat.message']},
    'user-prompt-submit': {native: 'chat.message'},
    'pre-compaction': {native: 'experimental.session.compacting'},
    'compaction-complete': {native: 'session.compacted'},
    // OpenCode has no "session ended" event: each idle hands the transcript so far to the daemon.
    'session-end': {native: 'session.idle'},
  },
  output: 'plain-text',
  // The plugin renders the session's messages as `User: …` / `Assistant: …` text itself.
  transcripts: ['plain-text'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source'], nestedFieldsIn: null},
  // Its synthetic parts (plugin context, attachments) are skipped where parts are read.
  wrapperTags: {strip: ['system-reminder'], unwrap: []},
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => path.join(absoluteOverride(env.XDG_CONFIG_HOME) ?? path.join(home, '.config'), 'opencode'),
  envOverrides: {XDG_CONFIG_HOME: 'the parent of the opencode config directory (opencode.json, plugins/, AGENTS.md)'},
  instructionFile: 'AGENTS.md',
  skillsDir: null,
} as const satisfies HarnessProfile<'opencode'>
