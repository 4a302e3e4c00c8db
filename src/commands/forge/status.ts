import {SignetCommand} from '../../cli/base-command.js'
import {forgeStatus, type ForgeStatus} from '../../forge/status.js'
import {paint} from '../../ui/output.js'

export default class ForgeStatusCommand extends SignetCommand<typeof ForgeStatusCommand> {
  static override description = 'Show the installed Forge version, where it is, and whether PATH finds it'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> forge status', '<%= config.bin %> forge status --json']

  public async run(): Promise<ForgeStatus> {
    const status = await forgeStatus({workspace: this.resolveWorkspace().path})
    if (!status.installed) {
      this.log(`${paint.dim('○')} Forge is not installed — install it with ${paint.bold('signet forge install')}`)
    } else {
      this.log(`${paint.green('●')} Forge ${status.version ?? '(version unknown)'}`)
      const rows: Array<[string, string]> = [
        ['binary', status.binaryPath ?? '-'],
        ['managed', status.managed ? `${status.managedBinaryPath}${status.managedVerified === false ? paint.red(' (modified since install)') : ''}` : 'no'],
        ['on PATH', status.onPath ? (status.shadowed ? paint.yellow(`yes, but ${status.pathBinary} comes first`) : 'yes') : paint.yellow('no')],
      ]
      if (status.managedRecord) rows.push(['installed', `${status.managedRecord.installedAt} from ${status.managedRecord.sourceUrl}`])
      for (const [label, value] of rows) this.log(`  ${paint.dim(label.padEnd(10))} ${value}`)
    }
    this.log(
      `  ${paint.dim('releases'.padEnd(10))} ${status.releaseUrl ?? paint.red(status.releaseUrlError ?? '?')}${status.releaseUrlOrigin ? paint.dim(` (${status.releaseUrlOrigin})`) : ''}`,
    )
    return status
  }
}
