import {SignetCommand} from '../../cli/base-command.js'
import {uninstallUserService, type ServiceUninstallResult} from '../../service/user-service.js'
import {paint} from '../../ui/output.js'

export default class DaemonUninstall extends SignetCommand<typeof DaemonUninstall> {
  static override description = 'Stop and remove the user service written by `signet daemon install`'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon uninstall', '<%= config.bin %> daemon uninstall --json']

  public async run(): Promise<ServiceUninstallResult> {
    const result = await uninstallUserService()
    if (!result.removed) {
      this.log(`No Signet user service is installed (${result.file} does not exist).`)
      return result
    }
    this.log(`${paint.green('✓')} Removed ${result.file}`)
    for (const command of result.commandsRun) this.log(paint.dim(`  ran: ${command}`))
    if (result.managerUnavailable) {
      this.log(`${paint.yellow('!')} ${result.managerUnavailable}; if the service is still loaded, run:`)
      for (const step of result.manualSteps) this.log(`    ${step}`)
    }
    return result
  }
}
