import {SignetCommand} from '../../cli/base-command.js'
import {stopDaemon} from '../../daemon/process.js'
import {paint} from '../../ui/output.js'

export default class DaemonStop extends SignetCommand<typeof DaemonStop> {
  static override description = 'Stop the daemon: finish in-flight requests, close the database, exit'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon stop']

  public async run(): Promise<{stopped: boolean; pid?: number; forced?: boolean}> {
    const workspace = this.resolveWorkspace()
    const result = await stopDaemon({workspace: workspace.path})
    if (!result.wasRunning) {
      this.log(
        result.clearedStalePid === undefined
          ? 'The daemon is not running.'
          : `The daemon is not running (removed a stale pid file for pid ${result.clearedStalePid}).`,
      )
      return {stopped: false}
    }
    this.log(`${paint.green('✓')} Daemon stopped (pid ${result.pid}${result.forced ? ', killed after it did not stop in time' : ''})`)
    return {stopped: true, pid: result.pid, forced: result.forced}
  }
}
