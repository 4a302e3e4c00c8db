import {ForgeInstallCommand} from '../../forge/install-command.js'
import type {ForgeInstallResult} from '../../forge/install.js'

export default class ForgeInstall extends ForgeInstallCommand<typeof ForgeInstall> {
  static override description = 'Download Forge for this OS/arch, verify its SHA-256 and install it to ~/.config/signet/bin/forge'
  static override examples = [
    '<%= config.bin %> forge install',
    '<%= config.bin %> forge install --version 1.4.0 --yes',
    'SIGNET_FORGE_RELEASE_URL=https://mirror.example.com/forge <%= config.bin %> forge install --yes --json',
  ]

  protected readonly verb = 'install'

  public async run(): Promise<ForgeInstallResult> {
    return this.installOrUpdate()
  }
}
