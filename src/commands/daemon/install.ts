import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {ensureWorkspace} from '../../config/workspace.js'
import {installUserService, type ServiceInstallResult} from '../../service/user-service.js'
import {paint, startSpinner} from '../../ui/output.js'

export default class DaemonInstall extends SignetCommand<typeof DaemonInstall> {
  static override description = 'Run the daemon as a user service that starts at login and restarts on failure (systemd --user on Linux, launchd on macOS)'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> daemon install',
    '<%= config.bin %> daemon install --path ~/work-agent',
    '<%= config.bin %> daemon install --no-enable   # write the unit only (images, config management)',
  ]
  static override flags = {
    enable: Flags.boolean({description: 'enable and start the service now (--no-enable writes the file only)', default: true, allowNo: true}),
  }

  public async run(): Promise<ServiceInstallResult> {
    const workspace = this.resolveWorkspace()
    ensureWorkspace(workspace)
    const spinner = startSpinner('Installing the Signet user service…', {enabled: !this.wantsJson})
    let result: ServiceInstallResult
    try {
      result = await installUserService({workspace: workspace.path, enable: this.flags.enable})
    } finally {
      spinner.stop()
    }
    const verb = result.fileAction === 'unchanged' ? 'is up to date' : result.fileAction === 'created' ? 'written' : 'updated'
    this.log(`${paint.green('✓')} ${result.manager === 'systemd' ? 'systemd user unit' : 'launchd agent'} ${verb}: ${result.file}`)
    this.log(paint.dim(`  runs \`signet daemon run\` for ${workspace.path}, restarted on failure`))
    if (result.stoppedBackgroundPid !== null) this.log(`  stopped the background daemon (pid ${result.stoppedBackgroundPid}) so the service manager owns it`)
    if (result.enabled) {
      for (const command of result.commandsRun) this.log(paint.dim(`  ran: ${command}`))
      if (result.running) this.log(`${paint.green('✓')} Daemon running under ${result.manager} at ${result.url}`)
    } else {
      this.log(`${paint.yellow('!')} Not started: ${result.managerUnavailable}. Run these where your user session is available:`)
      for (const step of result.manualSteps) this.log(`    ${step}`)
    }
    for (const warning of result.warnings) this.log(paint.yellow(`  warning: ${warning}`))
    return result
  }
}
