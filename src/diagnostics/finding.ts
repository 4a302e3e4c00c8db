export type FindingLevel = 'info' | 'warn' | 'error'

/** One thing `doctor` noticed: what it is, and the command or edit that fixes it. */
export interface Finding {
  level: FindingLevel
  /** Stable identifier for scripts and tests, e.g. `daemon_down`. */
  code: string
  message: string
  fix?: string
}

export const LEVEL_ORDER: Record<FindingLevel, number> = {error: 0, warn: 1, info: 2}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level])
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.level === 'error')
}
