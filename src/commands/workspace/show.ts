import {existsSync} from 'node:fs'
import path from 'node:path'

import {SignetCommand} from '../../cli/base-command.js'
import {defaultWorkspacePath} from '../../config/paths.js'
import {readSavedWorkspace} from '../../config/user-config.js'
import {isWorkspace, type WorkspaceSource} from '../../config/workspace.js'
import {daemonProcessStatus} from '../../daemon/process.js'
import {paint} from '../../ui/output.js'

export interface WorkspaceShowReport {
  path: string
  source: WorkspaceSource
  origin: string
  exists: boolean
  isWorkspace: boolean
  daemon: {running: boolean; pid: number | null; url: string | null}
  /** Every place a workspace can come from, in precedence order; `active` marks the winner. */
  candidates: Array<{source: WorkspaceSource; label: string; path: string | null; active: boolean}>
}

export default class WorkspaceShow extends SignetCommand<typeof WorkspaceShow> {
  static override description = 'Show the active workspace and which setting chose it (flag, env, saved, default)'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> workspace show',
    '<%= config.bin %> workspace show --json',
    'SIGNET_WORKSPACE=/srv/agent <%= config.bin %> workspace show',
  ]

  public async run(): Promise<WorkspaceShowReport> {
    const resolved = this.resolveWorkspace()
    const envName = process.env.SIGNET_WORKSPACE ? 'SIGNET_WORKSPACE' : 'SIGNET_PATH'
    const fromEnv = process.env.SIGNET_WORKSPACE || process.env.SIGNET_PATH
    const saved = readSavedWorkspace()
    const candidates: WorkspaceShowReport['candidates'] = [
      {source: 'flag', label: '--path', path: (this.flags.path as string | undefined) ? path.resolve(this.flags.path as string) : null, active: false},
      {source: 'env', label: fromEnv ? envName : 'SIGNET_WORKSPACE / SIGNET_PATH', path: fromEnv ? path.resolve(fromEnv) : null, active: false},
      {source: 'saved', label: 'signet workspace set', path: saved ? path.resolve(saved) : null, active: false},
      {source: 'default', label: 'default', path: defaultWorkspacePath(), active: false},
    ]
    for (const candidate of candidates) candidate.active = candidate.source === resolved.source
    const status = daemonProcessStatus(resolved.path)
    const report: WorkspaceShowReport = {
      path: resolved.path,
      source: resolved.source,
      origin: resolved.origin,
      exists: existsSync(resolved.path),
      isWorkspace: isWorkspace(resolved.path),
      daemon: {running: status.running, pid: status.pid ?? null, url: status.state?.url ?? null},
      candidates,
    }

    this.log(`${paint.bold(report.path)} ${paint.dim(`(${report.origin})`)}`)
    if (!report.isWorkspace) {
      this.log(paint.yellow(report.exists ? '  no agent.yaml here yet — run `signet setup`' : '  does not exist yet — run `signet setup` to create it'))
    }
    this.log(`  daemon: ${report.daemon.running ? `running (pid ${report.daemon.pid}${report.daemon.url ? `, ${report.daemon.url}` : ''})` : 'not running'}`)
    this.log(paint.dim('  precedence:'))
    for (const candidate of candidates) {
      const marker = candidate.active ? paint.green('→') : ' '
      this.log(`  ${marker} ${candidate.source.padEnd(8)} ${candidate.path ?? paint.dim('(not set)')}  ${paint.dim(candidate.label)}`)
    }
    return report
  }
}
