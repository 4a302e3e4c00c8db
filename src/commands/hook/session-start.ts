import {HOOK_COMMON_DESCRIPTION, HookCommand, hookOutputHelp} from '../../hooks/hook-command.js'

export default class HookSessionStart extends HookCommand {
  static override summary = 'Inject identity, working memory and relevant memories at session start'
  static override description = `Prints identity files (AGENTS.md, SOUL.md, IDENTITY.md, USER.md), the MEMORY.md head and the most relevant memories for this agent and project, within 9,500 characters. A repeated start of the same session gets a one-line stub; a start after compaction (source "compact") injects again. If the daemon is unreachable, the local identity files are injected. ${hookOutputHelp('session-start')}\n\n${HOOK_COMMON_DESCRIPTION}`
  static override examples = [
    `echo '{"session_id":"abc","cwd":"/repo","source":"startup","hook_event_name":"SessionStart"}' | <%= config.bin %> hook session-start -H claude-code`,
    '<%= config.bin %> hook session-start -H opencode --project github.com/acme/api < payload.json',
  ]
  protected readonly event = 'session-start' as const
}
