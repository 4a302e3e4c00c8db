import path from 'node:path'

import {absoluteOverride, type HarnessProfile} from './profile.js'

/** Gemini CLI: shell hooks (timeouts in milliseconds) and the MCP server in ~/.gemini/settings.json. */
export const gemini = {
  id: 'gemini',
  displayName: 'Gemini CLI',
  aliases: ['gemini-cli'],
  docsUrl: 'https://geminicli.com/docs/hooks/',
  binary: 'gemini',
  integration: 'shell-hooks',
  events: {
    'session-start': {native: 'SessionStart'},
    'user-prompt-submit': {native: 'BeforeAgent'},
    'pre-compaction': {native: 'PreCompress'},
    'compaction-complete': {none: 'Gemini CLI has no hook after compression'},
    'session-end': {native: 'SessionEnd'},
  },
  output: 'hook-specific-output',
  transcripts: ['gemini-chat'],
  payload: {sessionKeyEnv: ['GEMINI_SESSION_ID'], cwdEnv: ['GEMINI_CWD', 'GEMINI_PROJECT_DIR'], sourceFields: ['source'], nestedFieldsIn: null},
  wrapperTags: {
    // hook output (prepended to `-p` prompts and appended to turns) and session context
    strip: ['hook_context', 'session_context'],
    unwrap: [],
  },
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => path.join(absoluteOverride(env.GEMINI_CLI_HOME) ?? home, '.gemini'),
  envOverrides: {GEMINI_CLI_HOME: 'the directory holding .gemini/ (settings.json, GEMINI.md) instead of the home directory'},
  instructionFile: 'GEMINI.md',
  skillsDir: null,
} as const satisfies HarnessProfile<'gemini'>
