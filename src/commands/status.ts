import {SignetCommand} from '../cli/base-command.js'
import {collectStatus, type StatusReport} from '../diagnostics/status-report.js'
import {formatDuration, paint} from '../ui/output.js'

export default class Status extends SignetCommand<typeof Status> {
  static override description = 'One-screen overview: daemon, memories, sessions today, connectors, API keys, warnings'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status --path ~/work-agent']

  public async run(): Promise<StatusReport> {
    const report = await collectStatus(this.resolveWorkspace())
    this.printHuman(report)
    return report
  }

  private printHuman(report: StatusReport): void {
    const row = (label: string, value: string) => this.log(`  ${paint.dim(label.padEnd(11))} ${value}`)
    const {daemon} = report
    this.log(
      `${paint.bold('Signet')} ${report.agent ? `agent ${paint.bold(report.agent.name)} ` : ''}${paint.dim(`workspace ${report.workspace.path} (${report.workspace.origin})`)}`,
    )
    if (daemon.running && daemon.version) {
      row('daemon', `${paint.green('● running')} v${daemon.version} at ${daemon.url} (pid ${daemon.pid}, up ${formatDuration(daemon.uptime ?? 0)})`)
    } else if (daemon.running) {
      row('daemon', `${paint.yellow('● not answering')} (pid ${daemon.pid})`)
    } else {
      row('daemon', `${paint.red('○ stopped')}`)
    }
    if (daemon.bindHost) row('network', `${daemon.bindHost} (${daemon.networkMode}), auth ${daemon.authMode}`)
    if (report.storage) row('storage', report.storage.location)
    row('memories', report.memories === null ? paint.dim('-') : String(report.memories))
    if (report.sessionsToday !== null) row('sessions', `${report.sessionsToday} today`)
    if (report.keys)
      row('api keys', `${report.keys.active} active, ${report.keys.revoked} revoked${report.keys.expired ? `, ${report.keys.expired} expired` : ''}`)
    const shown = report.connectors.filter((connector) => connector.state !== 'not-installed' || connector.detected)
    if (shown.length === 0) {
      row('connectors', paint.dim('no harness found — signet connector list'))
    } else {
      const state = (value: string) => (value === 'installed' ? paint.green(value) : value === 'partial' ? paint.yellow(value) : paint.dim(value))
      row('connectors', shown.map((connector) => `${connector.harness} ${state(connector.state)}`).join(', '))
    }
    row(
      'forge',
      report.forge.installed
        ? `${report.forge.version ?? 'installed'}${report.forge.onPath ? '' : paint.yellow(' (not on PATH)')}`
        : paint.dim('not installed'),
    )
    for (const warning of report.warnings) this.log(paint.yellow(`  ! ${warning}`))
  }
}
