import {HOOK_COMMON_DESCRIPTION, HookCommand, hookOutputHelp} from '../../hooks/hook-command.js'

export default class HookUserPromptSubmit extends HookCommand {
  static override summary = 'Recall memories relevant to the prompt and inject them'
  static override description = `Recalls memories for the prompt (this agent, this project and global ones), keeps only those above the score threshold (agent.yaml hooks.promptMinScore) that this session has not already received, and prints them as a fenced block of recalled notes (data, not instructions). ${hookOutputHelp('user-prompt-submit')} Prints nothing when nothing is relevant.\n\n${HOOK_COMMON_DESCRIPTION}`
  static override examples = [
    `echo '{"session_id":"abc","cwd":"/repo","prompt":"how do we deploy?"}' | <%= config.bin %> hook user-prompt-submit -H claude-code`,
    `echo '{"session_id":"abc","cwd":"/repo","prompt":"how do we deploy?"}' | <%= config.bin %> hook user-prompt-submit -H gemini`,
  ]
  protected readonly event = 'user-prompt-submit' as const
}
