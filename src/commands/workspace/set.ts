import {existsSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {saveWorkspace} from '../../config/user-config.js'
import {initWorkspace, isWorkspace, resolveWorkspace} from '../../config/workspace.js'
import {daemonProcessStatus} from '../../daemon/process.js'
import {SignetError} from '../../errors.js'
import {paint} from '../../ui/output.js'

export interface WorkspaceSetResult {
  path: string
  initialized: boolean
  previous: {path: string; source: string}
  /** A daemon still serving the previously active workspace. */
  daemonOnPrevious: {pid: number; url: string | null} | null
  /** SIGNET_WORKSPACE / SIGNET_PATH is set and wins over the saved path. */
  envOverride: string | null
}

/** `~` is not expanded when quoted; expand it so `signet workspace set "~/agents"` does what was meant. */
export function expandUserPath(input: string): string {
  if (input === '~') return homedir()
  if (input.startsWith('~/')) return path.join(homedir(), input.slice(2))
  return path.resolve(input)
}

export default class WorkspaceSet extends SignetCommand<typeof WorkspaceSet> {
  static override description = 'Make <path> the active workspace for this user (saved in ~/.config/signet/config.json)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> workspace set ~/work-agent', '<%= config.bin %> workspace set ~/new-agent --init']
  static override args = {
    path: Args.string({description: 'workspace directory (must contain agent.yaml unless --init)', required: true}),
  }
  static override flags = {
    init: Flags.boolean({description: 'create a fresh workspace there if it has no agent.yaml'}),
  }

  public async run(): Promise<WorkspaceSetResult> {
    const target = expandUserPath(this.args.path)
    if (existsSync(target) && !statSync(target).isDirectory()) {
      throw new SignetError(`${target} is a file, not a directory — give the workspace directory`, 'not_a_directory')
    }
    let initialized = false
    if (!isWorkspace(target)) {
      if (!this.flags.init) {
        throw new SignetError(
          `${target} is not a Signet workspace (no agent.yaml) — add --init to create one there, or run \`signet setup --workspace ${target}\``,
          'workspace_missing',
        )
      }
      initWorkspace(target)
      initialized = true
    }
    // What was active before, ignoring --path: that flag only affects this one command.
    const previous = resolveWorkspace()
    await saveWorkspace(target)
    const envVariable = process.env.SIGNET_WORKSPACE ? 'SIGNET_WORKSPACE' : process.env.SIGNET_PATH ? 'SIGNET_PATH' : null
    let daemonOnPrevious: WorkspaceSetResult['daemonOnPrevious'] = null
    if (path.resolve(previous.path) !== target) {
      const status = daemonProcessStatus(previous.path)
      if (status.running && status.pid !== undefined) daemonOnPrevious = {pid: status.pid, url: status.state?.url ?? null}
    }

    this.log(`${paint.green('✓')} Active workspace: ${target}${initialized ? ' (created)' : ''}`)
    if (envVariable) {
      this.log(paint.yellow(`  ${envVariable}=${process.env[envVariable]} is set and still wins in this shell — unset it to use the saved workspace`))
    }
    if (daemonOnPrevious) {
      this.log(
        paint.yellow(`  The daemon for the previous workspace ${previous.path} is still running (pid ${daemonOnPrevious.pid}).`) +
          `\n  Stop it with \`signet daemon stop --path ${previous.path}\`, then \`signet daemon start\` for the new one.`,
      )
    }
    return {path: target, initialized, previous: {path: previous.path, source: previous.source}, daemonOnPrevious, envOverride: envVariable}
  }
}
