import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {runDoctor, type DoctorReport} from '../diagnostics/doctor.js'
import {renderFindings} from '../diagnostics/render.js'
import {paint, startSpinner} from '../ui/output.js'

export default class Doctor extends SignetCommand<typeof Doctor> {
  static override description =
    'Check the workspace, daemon, database, connectors, credentials, forge and service; print each problem with its fix (exit 1 on errors)'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --json | jq \'.findings[] | select(.level == "error")\'',
  ]

  static override flags = {
    deep: Flags.boolean({description: 'also read every page of a large SQLite database (PRAGMA quick_check; seconds per GB)'}),
  }

  public async run(): Promise<DoctorReport> {
    const spinner = startSpinner('Checking…', {enabled: !this.wantsJson})
    let report: DoctorReport
    try {
      report = await runDoctor({workspace: this.resolveWorkspace(), deep: this.flags.deep})
    } finally {
      spinner.stop()
    }
    this.log(paint.dim(`workspace ${report.workspace}`))
    if (report.storage) this.log(paint.dim(`storage   ${report.storage.location}`))
    this.log(renderFindings(report.findings, 'No problems found.'))
    const errors = report.findings.filter((finding) => finding.level === 'error').length
    const warnings = report.findings.filter((finding) => finding.level === 'warn').length
    if (report.findings.length > 0) this.log(paint.dim(`\n${errors} error(s), ${warnings} warning(s)`))
    // Exit 1 when anything is broken, after printing (or returning the JSON) in full.
    if (!report.ok) process.exitCode = 1
    return report
  }
}
