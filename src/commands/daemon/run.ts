import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {ensureWorkspace} from '../../config/workspace.js'
import {runDaemonInForeground} from '../../daemon/process.js'

export default class DaemonRun extends SignetCommand<typeof DaemonRun> {
  static override description = 'Run the daemon in the foreground (for systemd, launchd and containers)'
  static override examples = ['<%= config.bin %> daemon run', 'SIGNET_PORT=4000 <%= config.bin %> daemon run --path ~/work-agent']
  static override flags = {
    quiet: Flags.boolean({description: 'write log lines only to the log file, not to stdout'}),
  }

  public async run(): Promise<void> {
    const workspace = this.resolveWorkspace()
    ensureWorkspace(workspace)
    await runDaemonInForeground({workspace: workspace.path, echoLogs: !this.flags.quiet})
  }
}
