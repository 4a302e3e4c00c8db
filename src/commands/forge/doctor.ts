import {SignetCommand} from '../../cli/base-command.js'
import {hasErrors, sortFindings, type Finding} from '../../diagnostics/finding.js'
import {renderFindings} from '../../diagnostics/render.js'
import {forgeFindings, forgeStatus} from '../../forge/status.js'

export default class ForgeDoctor extends SignetCommand<typeof ForgeDoctor> {
  static override description = 'Check the Forge install (checksum, PATH, platform) and say how to fix what is wrong'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> forge doctor', '<%= config.bin %> forge doctor --json']

  public async run(): Promise<{ok: boolean; findings: Finding[]}> {
    const findings = sortFindings(forgeFindings(await forgeStatus({workspace: this.resolveWorkspace().path})))
    this.log(renderFindings(findings, 'Forge looks fine.'))
    const ok = !hasErrors(findings)
    if (!ok) process.exitCode = 1
    return {ok, findings}
  }
}
