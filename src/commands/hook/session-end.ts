import {HOOK_COMMON_DESCRIPTION, HookCommand} from '../../hooks/hook-command.js'

export default class HookSessionEnd extends HookCommand {
  static override summary = 'Store the session transcript and extract durable memories'
  static override description = `Reads the transcript file named in the payload (transcript_path) on this machine, reduces it to user/assistant text and sends it; the daemon redacts secrets, stores it for session search, saves what the user asked to remember plus stated decisions and preferences, and refreshes MEMORY.md. Respects Claude Code's 1.5 s SessionEnd budget (CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS): if the daemon is down or slow, the transcript goes to the local spool (~/.config/signet/spool) and is delivered exactly once by the next hook call or \`signet sync\`. Prints nothing.\n\n${HOOK_COMMON_DESCRIPTION}`
  static override examples = [
    `echo '{"session_id":"abc","transcript_path":"/home/me/.claude/projects/x/abc.jsonl","reason":"prompt_input_exit"}' | <%= config.bin %> hook session-end -H claude-code`,
  ]
  protected readonly event = 'session-end' as const
}
