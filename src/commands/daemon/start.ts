import {SignetCommand} from '../../cli/base-command.js'
import {loadAgentConfig} from '../../config/agent-config.js'
import {resolveListenSettings} from '../../config/network.js'
import {ensureWorkspace} from '../../config/workspace.js'
import {startDaemonInBackground} from '../../daemon/process.js'
import {paint, paintError, startSpinner} from '../../ui/output.js'

export default class DaemonStart extends SignetCommand<typeof DaemonStart> {
  static override description = 'Start the daemon in the background and wait until it answers'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon start', '<%= config.bin %> daemon start --path ~/work-agent --json']

  public async run(): Promise<{started: true; pid: number; url: string; workspace: string; authMode: string; warning?: string}> {
    const workspace = this.resolveWorkspace()
    ensureWorkspace(workspace)
    const spinner = startSpinner('Starting the Signet daemon…', {enabled: !this.wantsJson})
    try {
      const result = await startDaemonInBackground({workspace: workspace.path})
      spinner.stop()
      if (result.clearedStalePid !== undefined) this.log(paint.dim(`Removed a stale pid file (pid ${result.clearedStalePid} was not running).`))
      this.log(`${paint.green('✓')} Daemon running at ${result.url} (pid ${result.pid})`)
      // Say it loudly when a non-loopback bind upgraded `local` auth to `hybrid` (SECURITY.md).
      const listen = resolveListenSettings(loadAgentConfig(workspace.path))
      if (listen.authModeWarning) process.stderr.write(paintError.yellow(`Warning: ${listen.authModeWarning}`) + '\n')
      return {started: true, pid: result.pid, url: result.url, workspace: workspace.path, authMode: listen.effectiveAuthMode, warning: listen.authModeWarning}
    } catch (error) {
      spinner.stop()
      throw error
    }
  }
}
