import path from 'node:path'

import {absoluteOverride, type HarnessProfile} from './profile.js'

/** Claude Code: shell hooks in settings.json, the MCP server in .claude.json, CLAUDE.md and skills in its config dir. */
export const claudeCode = {
  id: 'claude-code',
  displayName: 'Claude Code',
  aliases: ['claude'],
  docsUrl: 'https://code.claude.com/docs/en/hooks',
  binary: 'claude',
  integration: 'shell-hooks',
  events: {
    'session-start': {native: 'SessionStart', since: [1, 0, 62]},
    'user-prompt-submit': {native: 'UserPromptSubmit', since: [1, 0, 54]},
    'pre-compaction': {native: 'PreCompact', since: [1, 0, 48]},
    'compaction-complete': {native: 'PostCompact', since: [2, 1, 76], needsVersionProbe: true},
    'session-end': {native: 'SessionEnd', since: [1, 0, 85]},
  },
  output: 'hook-specific-output',
  transcripts: ['claude-jsonl'],
  payload: {sessionKeyEnv: [], cwdEnv: ['CLAUDE_PROJECT_DIR'], sourceFields: ['source'], nestedFieldsIn: null},
  wrapperTags: {
    // context it adds to user turns, slash-command echoes, `!` shell output, hook output, large
    // output previews, background task notices; a slash command's arguments and a `!` command are the user's
    strip: [
      'system-reminder',
      'command-name',
      'command-message',
      'local-command-stdout',
      'local-command-stderr',
      'local-command-caveat',
      'bash-stdout',
      'bash-stderr',
      'user-prompt-submit-hook',
      'persisted-output',
      'task-notification',
    ],
    unwrap: ['command-args', 'bash-input'],
  },
  sharedHookClock: {event: 'session-end', env: 'CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS', defaultMs: 1500},
  sessionStartWithFirstPrompt: false,
  configDir: ({home, env}) => absoluteOverride(env.CLAUDE_CONFIG_DIR) ?? path.join(home, '.claude'),
  envOverrides: {CLAUDE_CONFIG_DIR: 'the config directory (settings.json, .claude.json, CLAUDE.md, skills)'},
  instructionFile: 'CLAUDE.md',
  skillsDir: 'skills',
} as const satisfies HarnessProfile<'claude-code'>
