import {ForgeInstallCommand} from '../../forge/install-command.js'
import type {ForgeInstallResult} from '../../forge/install.js'

export default class ForgeUpdate extends ForgeInstallCommand<typeof ForgeUpdate> {
  static override description = 'Install the latest (or the given) Forge release over the managed binary, verified like install'
  static override examples = [
    '<%= config.bin %> forge update',
    '<%= config.bin %> forge update --yes --json',
    '<%= config.bin %> forge update --version 1.3.2 --yes',
  ]

  protected readonly verb = 'update'

  public async run(): Promise<ForgeInstallResult> {
    return this.installOrUpdate()
  }
}
