import {Flags} from '@oclif/core'

import {HOOK_COMMON_DESCRIPTION, HookCommand} from '../../hooks/hook-command.js'

export default class HookCompactionComplete extends HookCommand {
  static override summary = 'Store the compaction summary as a session artifact and a memory'
  static override description = `Takes the summary from stdin (summary / compact_summary, as Claude Code's PostCompact sends) or from --summary, stores it with the session and as a memory, and refreshes MEMORY.md. Prints nothing. Undeliverable summaries go to the local spool.\n\n${HOOK_COMMON_DESCRIPTION}`
  static override flags = {
    ...HookCommand.flags,
    summary: Flags.string({char: 's', description: 'the summary text, when the harness does not send it on stdin'}),
  }
  static override examples = [
    `echo '{"session_id":"abc","trigger":"auto","compact_summary":"We moved deploys to blue-green."}' | <%= config.bin %> hook compaction-complete -H claude-code`,
    '<%= config.bin %> hook compaction-complete -H pi --summary "Refactored the auth module; tests pass" < /dev/null',
  ]
  protected readonly event = 'compaction-complete' as const
}
