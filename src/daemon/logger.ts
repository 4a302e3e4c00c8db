import {appendFileSync} from 'node:fs'
import path from 'node:path'

import {ensurePrivateDir, restrictToOwner} from '../config/private-files.js'
import {redactCredentials} from '../store/credential-redaction.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * Plain-text daemon log, one line per event. Callers pass only safe fields:
 * never request bodies, headers or keys.
 */
export class DaemonLogger {
  constructor(
    private readonly file: string | undefined,
    private readonly echo: boolean,
  ) {
    if (file) {
      // The log names paths, agents and errors: owner-only, also when an older version left it 0644.
      ensurePrivateDir(path.dirname(file))
      restrictToOwner(file)
    }
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    if (process.env.SIGNET_LOG_LEVEL === 'debug') this.write('debug', message, fields)
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields)
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields)
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields)
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const extra = fields
      ? ' ' +
        Object.entries(fields)
          .map(([key, value]) => `${key}=${formatValue(value)}`)
          .join(' ')
      : ''
    // Callers pass safe fields, but a path or a header value can still carry a pasted key.
    const line = redactCredentials(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}\n`)
    if (this.file) {
      try {
        // Synchronous append keeps lines whole and ordered; the log is low volume.
        appendFileSync(this.file, line, {mode: 0o600})
      } catch {
        // A full disk must not take the daemon down with it.
      }
    }
    if (this.echo) process.stdout.write(line)
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value
  return JSON.stringify(value)
}
