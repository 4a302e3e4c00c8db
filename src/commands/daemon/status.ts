import {SignetCommand} from '../../cli/base-command.js'
import {clientForEndpoint, resolveDaemonEndpoint} from '../../client/resolve-endpoint.js'
import {type ListenSettings, resolveListenSettings} from '../../config/network.js'
import {workspacePaths} from '../../config/paths.js'
import {agentYamlValidatedByDaemon, daemonProcessStatus} from '../../daemon/process.js'
import {formatDuration, paint} from '../../ui/output.js'

export interface DaemonStatusReport {
  running: boolean
  pid: number | null
  version: string | null
  uptime: number | null
  url: string
  bindHost: string
  networkMode: string
  authMode: string
  /** What agent.yaml asks for; authMode is what applies (local becomes hybrid on a non-loopback bind). */
  configuredAuthMode: string
  workspace: string
  dbPath: string
  memoryCount: number | null
  warning?: string
}

export default class DaemonStatus extends SignetCommand<typeof DaemonStatus> {
  static override description = 'Show whether the daemon runs, where, and in which network and auth mode'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json']

  public async run(): Promise<DaemonStatusReport> {
    const workspace = this.resolveWorkspace()
    const paths = workspacePaths(workspace.path)
    const processStatus = daemonProcessStatus(workspace.path)
    // An invalid agent.yaml must not hide a daemon that runs (it started from an earlier, valid file).
    let listen: ListenSettings | undefined
    let configProblem: string | undefined
    // The settings schema loads only when agent.yaml has to be read (B5 in bench/README.md).
    const readConfig = async () => {
      try {
        const {loadAgentConfig} = await import('../../config/agent-config.js')
        listen = resolveListenSettings(loadAgentConfig(workspace.path))
      } catch (error) {
        if (!processStatus.running) throw error
        configProblem = (error as Error).message
      }
    }
    // The daemon validated this very agent.yaml at start: its /api/status answer says all the file would.
    const validatedByDaemon = processStatus.running && agentYamlValidatedByDaemon(workspace.path, processStatus.state) !== undefined
    if (!validatedByDaemon) await readConfig()
    const endpoint = resolveDaemonEndpoint({workspace: workspace.path, asOwner: true})
    const report: DaemonStatusReport = {
      running: false,
      pid: null,
      version: null,
      uptime: null,
      url: processStatus.state?.url ?? endpoint.url,
      bindHost: listen?.bindHost ?? processStatus.state?.bindHost ?? 'unknown',
      networkMode: listen?.networkMode ?? 'unknown',
      authMode: listen?.effectiveAuthMode ?? 'unknown',
      configuredAuthMode: listen?.configuredAuthMode ?? 'unknown',
      workspace: workspace.path,
      dbPath: paths.dbPath,
      memoryCount: null,
    }
    if (processStatus.running) {
      report.running = true
      report.pid = processStatus.pid ?? null
      try {
        const client = clientForEndpoint(endpoint, {timeoutMs: 3000})
        const live = await client.call('GET /api/status')
        Object.assign(report, {
          version: live.version,
          uptime: live.uptime,
          bindHost: live.bindHost,
          networkMode: live.networkMode,
          authMode: live.authMode,
          configuredAuthMode: live.configuredAuthMode,
          memoryCount: live.memoryCount,
        })
        if (live.authModeWarning) report.warning = live.authModeWarning
      } catch (error) {
        report.version = processStatus.state?.version ?? null
        report.warning = `the daemon process runs but /api/status failed: ${(error as Error).message}`
        if (validatedByDaemon) {
          await readConfig()
          Object.assign(report, {
            bindHost: listen?.bindHost ?? report.bindHost,
            networkMode: listen?.networkMode ?? 'unknown',
            authMode: listen?.effectiveAuthMode ?? 'unknown',
            configuredAuthMode: listen?.configuredAuthMode ?? 'unknown',
          })
        }
      }
    }
    if (configProblem) report.warning = `${configProblem} — the running daemon keeps its earlier settings; fix agent.yaml before restarting it`
    this.printHuman(report, processStatus.stalePid)
    return report
  }

  private printHuman(report: DaemonStatusReport, stalePid: number | undefined): void {
    if (!report.running) {
      this.log(`${paint.red('●')} Daemon not running ${paint.dim(`(workspace ${report.workspace})`)}`)
      if (stalePid !== undefined) this.log(paint.yellow(`  stale pid file for pid ${stalePid}; \`signet daemon start\` will clean it`))
      this.log(`  start it with ${paint.bold('signet daemon start')}`)
      return
    }
    this.log(`${paint.green('●')} Daemon running ${paint.dim(`v${report.version ?? '?'}`)}`)
    const rows: Array<[string, string]> = [
      ['url', report.url],
      ['pid', String(report.pid)],
      ['uptime', report.uptime === null ? '?' : formatDuration(report.uptime)],
      ['bind', `${report.bindHost} (${report.networkMode})`],
      ['auth', report.authMode === report.configuredAuthMode ? report.authMode : `${report.authMode} (agent.yaml says ${report.configuredAuthMode})`],
      ['workspace', report.workspace],
      ['database', report.dbPath],
      ['memories', report.memoryCount === null ? '?' : String(report.memoryCount)],
    ]
    for (const [label, value] of rows) this.log(`  ${paint.dim(label.padEnd(10))} ${value}`)
    if (report.warning) this.log(paint.yellow(`  warning: ${report.warning}`))
  }
}
