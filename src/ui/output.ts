import {Chalk, type ChalkInstance} from 'chalk'
import type {Ora} from 'ora'

/** Colour only on a TTY and never with NO_COLOR (docs/architecture.md, CLI conventions). */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb'
}

export const paint: ChalkInstance = new Chalk({level: colorEnabled() ? 1 : 0})
export const paintError: ChalkInstance = new Chalk({level: colorEnabled(process.stderr) ? 1 : 0})

export interface Spinner {
  update(text: string): void
  succeed(text: string): void
  fail(text: string): void
  stop(): void
}

/** A spinner on an interactive terminal; silence everywhere else (pipes, CI, --json). */
export function startSpinner(text: string, options: {enabled?: boolean} = {}): Spinner {
  // A pseudo-terminal that reports 0 columns makes ora's line accounting loop forever: no spinner there.
  const enabled = (options.enabled ?? true) && Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI
  if (!enabled) {
    return {update() {}, succeed() {}, fail() {}, stop() {}}
  }
  // ora is loaded only when a spinner is shown (importing it costs every command ~30 ms); the
  // spinner appears as soon as it has loaded, unless the work finished first.
  let spinner: Ora | undefined
  let current = text
  let finished = false
  void import('ora').then(({default: ora}) => {
    if (finished) return
    spinner = ora({
      text: current,
      stream: process.stderr,
      // ora's stdin discarder puts stdin in raw mode and fights inquirer prompts shown after a spinner.
      discardStdin: false,
      color: colorEnabled(process.stderr) ? 'cyan' : undefined,
    }).start()
  })
  const finish = (render: (active: Ora) => void, fallback?: string) => {
    finished = true
    if (spinner) render(spinner)
    else if (fallback) process.stderr.write(fallback + '\n')
  }
  return {
    update: (next) => {
      current = next
      if (spinner) spinner.text = next
    },
    succeed: (final) => finish((active) => active.succeed(final), final),
    fail: (final) => finish((active) => active.fail(final), final),
    stop: () => finish((active) => active.stop()),
  }
}

export interface Column<Row> {
  header: string
  value: (row: Row) => string
  /** Truncate long cells to keep the table on one screen. */
  maxWidth?: number
}

/** A plain aligned table; headers dimmed when colour is on. */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const text = column.value(row).replace(/\s+/g, ' ')
      return column.maxWidth && text.length > column.maxWidth ? text.slice(0, column.maxWidth - 1) + '…' : text
    }),
  )
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => row[index].length)))
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]))
      .join('  ')
      .trimEnd()
  return [paint.dim(line(columns.map((column) => column.header))), ...cells.map(line)].join('\n')
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`
}
