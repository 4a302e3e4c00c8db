import {paint} from '../ui/output.js'
import type {Finding} from './finding.js'

const MARK = {
  error: () => paint.red('✗ error'),
  warn: () => paint.yellow('! warn '),
  info: () => paint.cyan('i info '),
}

/** Findings as lines a person can act on: level, message, and the fix indented below. */
export function renderFindings(findings: readonly Finding[], allClear: string): string {
  if (findings.length === 0) return `${paint.green('✓')} ${allClear}`
  return findings
    .map((finding) => `${MARK[finding.level]()}  ${finding.message}${finding.fix ? `\n         ${paint.dim('fix:')} ${finding.fix}` : ''}`)
    .join('\n')
}
