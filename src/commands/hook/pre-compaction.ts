import {HOOK_COMMON_DESCRIPTION, HookCommand, hookOutputHelp} from '../../hooks/hook-command.js'

export default class HookPreCompaction extends HookCommand {
  static override summary = 'Snapshot the transcript and print summary guidelines before compaction'
  static override description = `Sends the transcript so far (read from transcript_path on this machine) so nothing is lost if the session never ends cleanly, and prints summary guidelines for harnesses whose compaction hook accepts text: ${hookOutputHelp('pre-compaction')} Undeliverable snapshots go to the local spool.\n\n${HOOK_COMMON_DESCRIPTION}`
  static override examples = [
    `echo '{"session_id":"abc","transcript_path":"/home/me/.claude/projects/x/abc.jsonl","trigger":"auto"}' | <%= config.bin %> hook pre-compaction -H claude-code`,
  ]
  protected readonly event = 'pre-compaction' as const
}
