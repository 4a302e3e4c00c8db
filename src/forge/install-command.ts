import {type Command, Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {SignetError} from '../errors.js'
import {paint, startSpinner} from '../ui/output.js'
import {askConfirm, canPrompt} from '../ui/prompts.js'
import {installForge, type ForgeInstallResult} from './install.js'

export const FORGE_DEVELOPMENT_WARNING =
  'Forge is in development: releases can change or break without notice. Signet checks the download against the ' +
  "release's SHA-256 checksums, but that proves only that you got the published file, not that it is stable."

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** Shared by `forge install` and `forge update`: acknowledgement, progress, verified install, report. */
export abstract class ForgeInstallCommand<T extends typeof Command> extends SignetCommand<T> {
  static override enableJsonFlag = true
  static override flags = {
    version: Flags.string({description: 'release version to install, e.g. 1.4.0 (default: the latest release)'}),
    yes: Flags.boolean({char: 'y', description: 'acknowledge the development warning without asking (needed when not on a terminal)'}),
    force: Flags.boolean({description: 'download and verify again even when this version is already installed'}),
  }

  protected abstract readonly verb: 'install' | 'update'

  protected async installOrUpdate(): Promise<ForgeInstallResult> {
    const flags = this.flags as {version?: string; yes?: boolean; force?: boolean}
    if (!flags.yes) {
      if (this.wantsJson || !canPrompt()) {
        throw new SignetError(`forge ${this.verb} needs --yes to acknowledge that Forge is in development (no terminal to ask on)`, 'acknowledgement_required')
      }
      this.log(paint.yellow(`! ${FORGE_DEVELOPMENT_WARNING}`))
      if (!(await askConfirm('Install Forge anyway?', false))) throw new SignetError('cancelled: Forge was not installed', 'cancelled')
    }
    const spinner = startSpinner('Preparing the Forge install…', {enabled: !this.wantsJson})
    let asset = ''
    let result: ForgeInstallResult
    try {
      result = await installForge({
        workspace: this.resolveWorkspace().path,
        version: flags.version,
        force: flags.force,
        onStage: (text) => {
          if (text.startsWith('Downloading ')) asset = text.slice('Downloading '.length)
          spinner.update(text + '…')
        },
        onProgress: ({received, total}) => {
          const amount = total ? `${formatBytes(received)} / ${formatBytes(total)} (${Math.floor((received / total) * 100)}%)` : formatBytes(received)
          spinner.update(`Downloading ${asset} — ${amount}`)
        },
      })
    } finally {
      spinner.stop()
    }
    this.report(result)
    return result
  }

  private report(result: ForgeInstallResult): void {
    const short = result.sha256.slice(0, 12)
    if (result.action === 'unchanged') {
      this.log(
        `${paint.green('✓')} Forge ${result.version} is already installed and verified at ${result.binaryPath} ${paint.dim('(use --force to reinstall)')}`,
      )
    } else {
      const what =
        result.action === 'updated' && result.previousVersion ? `updated ${result.previousVersion} → ${result.version}` : `${result.version} ${result.action}`
      this.log(`${paint.green('✓')} Forge ${what} at ${result.binaryPath}`)
      this.log(paint.dim(`  sha256 ${short}… verified against SHA256SUMS from ${result.releaseUrl}`))
    }
    if (result.pathHint) this.log(`  ${paint.yellow('forge is not on PATH')} — add this to your shell profile:\n    ${result.pathHint}`)
  }
}
