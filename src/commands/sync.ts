import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {SignetError} from '../errors.js'
import {resolveHookEndpoint} from '../hooks/endpoint.js'
import {pendingSpoolEntries, replaySpool, spoolDir, type ReplayReport} from '../hooks/spool.js'
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
    const endpoint = await resolveHookEndpoint({workspaceFlag: this.flags.path as string | undefined})
    const pending = pendingSpoolEntries().length
    if (pending === 0) {
      if (!this.wantsJson) this.log(`${paint.green('✓')} Nothing to sync: the spool is empty.`)
      return {url: endpoint.url, spool: spoolDir(), delivered: 0, rejected: 0, remaining: 0, forOtherDaemons: 0}
    }
    // Only the entries spooled for this daemon go to it; the others wait for theirs.
    const report = await replaySpool(endpoint, {deadline: Date.now() + this.flags.timeout * 1000})
    const result = {url: endpoint.url, spool: spoolDir(), ...report}
    const waiting = report.forOtherDaemons > 0 ? ` ${report.forOtherDaemons} spooled write(s) wait for another daemon (another workspace, or a remote daemon or key) and were left in ${spoolDir()}.` : ''
    if (report.remaining > 0 && report.delivered === 0 && report.stoppedBy) {
      throw new SignetError(`could not deliver ${report.remaining} spooled write(s) to ${endpoint.url}: ${report.stoppedBy} — start the daemon (signet daemon start) or check SIGNET_DAEMON_URL/SIGNET_API_KEY.${waiting}`, 'sync_failed')
    }
    if (!this.wantsJson) {
      this.log(`${paint.green('✓')} Delivered ${report.delivered} spooled write(s) to ${endpoint.url}.`)
      if (report.rejected > 0) this.log(`${paint.yellow('!')} ${report.rejected} refused by the daemon, kept in ${spoolDir()}/rejected.`)
      if (report.remaining > 0) this.log(`${paint.yellow('!')} ${report.remaining} still pending${report.stoppedBy ? ` (${report.stoppedBy})` : ''}.`)
      if (waiting) this.log(`${paint.yellow('!')}${waiting}`)
    }
    return result
  }
}
