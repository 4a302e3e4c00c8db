import path from 'node:path'

import {absoluteOverride, type HarnessProfile} from './profile.js'

/** Codex CLI: shell hooks in hooks.json (trusted by hash in config.toml), the MCP server in config.toml. */
export const codex = {
  id: 'codex',
  displayName: 'Codex CLI',
  aliases: [],
  docsUrl: 'https://developers.openai.com/codex/hooks',
  binary: 'codex',
  integration: 'shell-hooks',
  // SessionStart also fires with source `compact` after a compaction: that is where memories come back;
  // PreCompact saves the conversation before Codex summarises it away.
  events: {
    'session-start': {native: 'SessionStart'},
    'user-prompt-submit': {native: 'UserPromptSubmit'},
    'pre-compaction': {native: 'PreCompact'},
    'compaction-complete': {none: "Codex's PostCompact carries no summary (only `trigger`), so it has nothing to store"},
    // The transcript once, at the end (not after every turn, as Stop would). Codex clamps SessionEnd
    // hooks to 3 s and warns at every start when a config asks for more; a transcript that cannot be
    // delivered in time goes to the hook's spool and is replayed later.
    'session-end': {native: 'SessionEnd', timeoutSeconds: 3},
  },
  output: 'hook-specific-output',
  transcripts: ['codex-rollout'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source'], nestedFieldsIn: null},
  wrapperTags: {
    // its contextual user items
    strip: [
      'user_instructions',
      'environment_context',
      'user_shell_command',
      'turn_aborted',
      'subagent_notification',
      'goal_context',
      'context_changes',
      'hook_context',
    ],
    unwrap: [],
  },
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => absoluteOverride(env.CODEX_HOME) ?? path.join(home, '.codex'),
  envOverrides: {CODEX_HOME: 'the Codex home (hooks.json, config.toml, AGENTS.md, skills)'},
  instructionFile: 'AGENTS.md',
  skillsDir: 'skills',
} as const satisfies HarnessProfile<'codex'>
