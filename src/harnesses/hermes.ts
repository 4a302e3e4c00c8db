import path from 'node:path'

import {absoluteOverride, expandHome, type HarnessProfile} from './profile.js'

/**
 * Hermes Agent (NousResearch): shell hooks and MCP servers in `<HERMES_HOME>/config.yaml`. Hermes
 * runs each hook command without a shell, pipes the event as JSON (its own fields in `extra`) and,
 * for pre_llm_call, reads `{"context": …}` from stdout.
 */
export const hermes = {
  id: 'hermes',
  displayName: 'Hermes Agent',
  aliases: ['hermes-agent'],
  docsUrl: 'https://hermes-agent.nousresearch.com/docs/user-guide/features/hooks',
  binary: 'hermes',
  integration: 'shell-hooks',
  events: {
    'session-start': {none: 'Hermes injects context only from pre_llm_call: its first turn (is_first_turn) carries the session-start context'},
    'user-prompt-submit': {native: 'pre_llm_call'},
    'pre-compaction': {none: 'Hermes has no hook around context compression'},
    'compaction-complete': {none: 'Hermes has no hook around context compression'},
    // on_session_end carries no conversation (and fires after every turn): post_llm_call's
    // conversation_history is stored after each turn (the daemon keeps the longest per session).
    'session-end': {native: 'post_llm_call'},
  },
  output: 'context-json',
  transcripts: ['messages'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source'], nestedFieldsIn: 'extra'},
  wrapperTags: {strip: [], unwrap: []},
  sharedHookClock: null,
  sessionStartWithFirstPrompt: true,
  configDir: ({home, env}) => {
    const override = env.HERMES_HOME?.trim()
    return absoluteOverride(override && expandHome(home, override)) ?? path.join(home, '.hermes')
  },
  envOverrides: {HERMES_HOME: 'the Hermes home (config.yaml)'},
  instructionFile: null,
  skillsDir: null,
} as const satisfies HarnessProfile<'hermes'>
