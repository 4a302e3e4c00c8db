import {SignetCommand} from '../../cli/base-command.js'
import {ensureWorkspace} from '../../config/workspace.js'
import {startDaemonInBackground} from '../../daemon/process.js'
import {paint, startSpinner} from '../../ui/output.js'

export default class DaemonStart extends SignetCommand<typeof DaemonStart> {
  static override description = 'Start the daemon in the background and wait until it answers'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon start', '<%= config.bin %> daemon start --path ~/work-agent --json']

  public async run(): Promise<{started: true; pid: number; url: string; workspace: string}> {
    const workspace = this.resolveWorkspace()
    ensureWorkspace(workspace)
    const spinner = startSpinner('Starting the Signet daemon…', {enabled: !this.wantsJson})
    try {
      const result = await startDaemonInBackground({workspace: workspace.path})
      spinner.stop()
      if (result.clearedStalePid !== undefined) this.log(paint.dim(`Removed a stale pid file (pid ${result.clearedStalePid} was not running).`))
      this.log(`${paint.green('✓')} Daemon running at ${result.url} (pid ${result.pid})`)
      return {started: true, pid: result.pid, url: result.url, workspace: workspace.path}
    } catch (error) {
      spinner.stop()
      throw error
    }
  }
}
