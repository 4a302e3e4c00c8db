import {SignetCommand} from '../../cli/base-command.js'
import {ensureWorkspace} from '../../config/workspace.js'
import {checkDaemonCanStart, startDaemonInBackground, stopDaemon} from '../../daemon/process.js'
import {paint, startSpinner} from '../../ui/output.js'

export default class DaemonRestart extends SignetCommand<typeof DaemonRestart> {
  static override description = 'Stop the daemon if it runs, then start it again'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon restart']

  public async run(): Promise<{pid: number; url: string}> {
    const workspace = this.resolveWorkspace()
    ensureWorkspace(workspace)
    // Refuse before stopping: a config the new daemon would reject must not take the running one down.
    await checkDaemonCanStart(workspace.path)
    const spinner = startSpinner('Restarting the Signet daemon…', {enabled: !this.wantsJson})
    try {
      await stopDaemon({workspace: workspace.path})
      const result = await startDaemonInBackground({workspace: workspace.path})
      spinner.stop()
      this.log(`${paint.green('✓')} Daemon restarted at ${result.url} (pid ${result.pid})`)
      return {pid: result.pid, url: result.url}
    } catch (error) {
      spinner.stop()
      throw error
    }
  }
}
