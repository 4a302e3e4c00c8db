import path from 'node:path'

import {absoluteOverride, type HarnessProfile} from './profile.js'

/** OpenClaw: a native plugin directory (assets/plugins/openclaw/) plus its entry and the MCP server in openclaw.json. */
export const openclaw = {
  id: 'openclaw',
  displayName: 'OpenClaw',
  aliases: [],
  docsUrl: 'https://docs.openclaw.ai/plugins/hooks',
  binary: 'openclaw',
  integration: 'plugin',
  events: {
    // One-shot runs (`openclaw agent --local`) never emit session_start: their first prompt starts the session.
    'session-start': {native: 'session_start', alsoOn: ['before_prompt_build']},
    'user-prompt-submit': {native: 'before_prompt_build'},
    'pre-compaction': {native: 'before_compaction'},
    'compaction-complete': {native: 'after_compaction'},
    // The conversation after every turn (one-shot runs never reach session_end), and the session file at the end.
    'session-end': {native: 'session_end', alsoOn: ['agent_end']},
  },
  output: 'plain-text',
  transcripts: ['messages', 'pi-session'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source'], nestedFieldsIn: null},
  // Its channel metadata envelope is not a tag: stripOpenClawEnvelope (src/hooks/harness-wrappers.ts) removes it.
  wrapperTags: {strip: [], unwrap: []},
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => {
    const profile = env.OPENCLAW_PROFILE?.trim()
    return absoluteOverride(env.OPENCLAW_STATE_DIR) ?? path.join(home, profile && profile !== 'default' ? `.openclaw-${profile}` : '.openclaw')
  },
  envOverrides: {
    OPENCLAW_STATE_DIR: 'the state directory (extensions/, openclaw.json)',
    OPENCLAW_PROFILE: 'a named profile: the state directory becomes ~/.openclaw-<profile>',
    OPENCLAW_CONFIG_PATH: 'openclaw.json itself',
  },
  instructionFile: null,
  skillsDir: null,
} as const satisfies HarnessProfile<'openclaw'>
