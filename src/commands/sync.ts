import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {SignetError} from '../errors.js'
import {resolveHookEndpoint} from '../hooks/endpoint.js'
import {pendingSpoolEntries, pendingSpoolHarnesses, replaySpool, spoolDir, type ReplayReport} from '../hooks/spool.js'
import {paint} from '../ui/output.js'

export interface SyncReport extends ReplayReport {
  url: string
  spool: string
}

export default class Sync extends SignetCommand<typeof Sync> {
  static override description = 'Deliver hook writes that were spooled while the daemon was unreachable (transcripts, summaries, remembers)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> sync', '<%= config.bin %> sync --json', 'SIGNET_DAEMON_URL=https://host:3850 <%= config.bin %> sync']
  static override flags = {
    timeout: Flags.integer({description: 'give up after this many seconds', default: 120, min: 1}),
  }

  public async run(): Promise<SyncReport> {
    const workspaceFlag = this.flags.path as string | undefined
    const pending = pendingSpoolEntries().length
    if (pending === 0) {
      const endpoint = await resolveHookEndpoint({workspaceFlag})
      if (!this.wantsJson) this.log(`${paint.green('✓')} Nothing to sync: the spool is empty.`)
      return {url: endpoint.url, spool: spoolDir(), delivered: 0, rejected: 0, remaining: 0, forOtherDaemons: 0}
    }
    // Each harness's writes go with that harness's own stored credentials, and only the entries
    // spooled for the daemon an endpoint names go to it; the others wait for theirs.
    const deadline = Date.now() + this.flags.timeout * 1000
    const report: ReplayReport = {delivered: 0, rejected: 0, remaining: 0, forOtherDaemons: 0}
    const urls = new Set<string>()
    let forOtherDaemons: number | undefined
    for (const harness of pendingSpoolHarnesses()) {
      const endpoint = await resolveHookEndpoint({workspaceFlag, harness})
      urls.add(endpoint.url)
      const part = await replaySpool(endpoint, {deadline, harness})
      report.delivered += part.delivered
      report.rejected += part.rejected
      report.stoppedBy ??= part.stoppedBy
      // An entry no endpoint here may take is skipped by every pass.
      forOtherDaemons = Math.min(forOtherDaemons ?? part.forOtherDaemons, part.forOtherDaemons)
    }
    report.forOtherDaemons = forOtherDaemons ?? 0
    report.remaining = pendingSpoolEntries().length - report.forOtherDaemons
    const url = [...urls].join(', ')
    const result = {url, spool: spoolDir(), ...report}
    const waiting =
      report.forOtherDaemons > 0
        ? ` ${report.forOtherDaemons} spooled write(s) wait for another daemon (another workspace, or a remote daemon or key) and were left in ${spoolDir()}.`
        : ''
    if (report.remaining > 0 && report.delivered === 0 && report.stoppedBy) {
      throw new SignetError(
        `could not deliver ${report.remaining} spooled write(s) to ${url}: ${report.stoppedBy} — start the daemon (signet daemon start) or check SIGNET_DAEMON_URL/SIGNET_API_KEY.${waiting}`,
        'sync_failed',
      )
    }
    if (!this.wantsJson) {
      this.log(`${paint.green('✓')} Delivered ${report.delivered} spooled write(s) to ${url}.`)
      if (report.rejected > 0) this.log(`${paint.yellow('!')} ${report.rejected} refused by the daemon, kept in ${spoolDir()}/rejected.`)
      if (report.remaining > 0) this.log(`${paint.yellow('!')} ${report.remaining} still pending${report.stoppedBy ? ` (${report.stoppedBy})` : ''}.`)
      if (waiting) this.log(`${paint.yellow('!')}${waiting}`)
    }
    return result
  }
}
