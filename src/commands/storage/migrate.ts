import path from 'node:path'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {databaseUrlHasPassword, databaseUrlWithoutPassword, parseStorageLocation, type StorageLocation} from '../../config/storage-location.js'
import {workspacePaths} from '../../config/paths.js'
import {MAX_BATCH_SIZE, runStorageMigration, type StorageMigrationOutcome} from '../../daemon/storage-migrate.js'
import {SignetError} from '../../errors.js'
import {editAgentYaml} from '../../setup/agent-yaml-edit.js'
import {paint, renderTable, startSpinner} from '../../ui/output.js'

/** Where `--to-env` reads the target, so a password need not be on the command line (or in `ps`). */
const TARGET_URL_ENV = 'SIGNET_MIGRATE_TO_URL'

interface MigrateResult {
  source: string
  target: string
  resumed: boolean
  copied: number
  removedOtherData: StorageMigrationOutcome['removedOtherData']
  tables: StorageMigrationOutcome['tables']
  ok: boolean
  seconds: number
  /** agent.yaml keys `--switch` changed (empty when it changed nothing or was not given). */
  switched: string[]
}

export default class StorageMigrate extends SignetCommand<typeof StorageMigrate> {
  static override description = `Copy the workspace's store to PostgreSQL or SQLite (or back), verified by row counts and content hashes

Stop the daemon first (signet daemon stop): a store being written cannot be verified. Every table the daemon keeps is copied in pages; after each page the progress is saved in the workspace's .daemon/, so an interrupted copy continues where it stopped when you run the same command again (--restart copies from the first row). At the end each table's rows are counted and hashed (sha256) on both sides; the command exits 1 if any table differs. Vectors and search indexes are rebuilt by the target, and sources (indexed folders) stay in this machine's SQLite file. agent.yaml is left alone unless you add --switch.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> storage migrate --to postgres://signet@db.internal:5432/signet',
    'SIGNET_MIGRATE_TO_URL=postgres://signet:secret@db.internal/signet <%= config.bin %> storage migrate --to-env --switch',
    '<%= config.bin %> storage migrate --to ~/signet-backup.db',
    '<%= config.bin %> storage migrate --to ~/.agents/memory/memories.db --switch',
  ]
  static override flags = {
    to: Flags.string({description: 'where to copy: postgres://user@host:5432/database, sqlite:<file> or a file path', exactlyOne: ['to', 'to-env']}),
    'to-env': Flags.boolean({description: `read the target URL from ${TARGET_URL_ENV} (keeps a password off the command line)`, exactlyOne: ['to', 'to-env']}),
    from: Flags.string({description: 'what to copy (default: the store agent.yaml and SIGNET_DATABASE_URL name for this workspace)'}),
    'batch-size': Flags.integer({description: 'rows per page (a checkpoint is saved after each)', default: 500, min: 1, max: MAX_BATCH_SIZE}),
    restart: Flags.boolean({description: 'ignore the progress saved by an interrupted run and copy from the first row'}),
    force: Flags.boolean({description: 'the target holds rows that are not from this source: delete them, so it becomes an exact copy'}),
    switch: Flags.boolean({description: 'when the copy verifies, point agent.yaml storage at the target (comments are kept)'}),
  }

  public async run(): Promise<MigrateResult> {
    const workspace = this.resolveWorkspace().path
    const to = this.flags['to-env'] ? parseStorageLocation(targetFromEnv(), TARGET_URL_ENV) : parseStorageLocation(this.flags.to!, '--to')
    const from = this.flags.from === undefined ? undefined : parseStorageLocation(this.flags.from, '--from')
    const dbPath = workspacePaths(workspace).dbPath
    if (this.flags.switch && to.backend === 'sqlite' && path.resolve(to.path) !== path.resolve(dbPath)) {
      throw new SignetError(
        `--switch: this workspace's SQLite database is ${dbPath} — migrate to that file to switch back to SQLite (add --force if it still holds older data)`,
        'invalid_argument',
      )
    }

    const human = !this.wantsJson
    const spinner = startSpinner('opening both stores', {enabled: human})
    const lines = human && !process.stderr.isTTY
    const progressLines = new ProgressLines((line) => process.stderr.write(`${line}\n`))
    const abort = new AbortController()
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    let outcome: StorageMigrationOutcome
    try {
      outcome = await runStorageMigration({
        workspace,
        from,
        to,
        batchSize: this.flags['batch-size'],
        restart: this.flags.restart,
        force: this.flags.force,
        signal: abort.signal,
        events: {
          resuming: ({file, savedAt, tablesDone}) => {
            if (human)
              process.stderr.write(
                `Resuming from ${file} (saved ${savedAt}, ${tablesDone} table${tablesDone === 1 ? '' : 's'} already copied) — --restart copies from the first row\n`,
              )
          },
          removedOtherData: (removed) => {
            if (human)
              process.stderr.write(`--force: deleted the target's own rows: ${removed.map((entry) => `${entry.table} ${rowCount(entry.rows)}`).join(', ')}\n`)
          },
          progress: (progress) => {
            spinner.update(`copying ${progress.table} ${progress.copied.toLocaleString('en-US')}/${progress.total.toLocaleString('en-US')}`)
            if (lines) progressLines.progress(progress.table, progress.copied, progress.total)
          },
          verifying: () => {
            spinner.update('verifying: counting and hashing every table on both sides')
            if (lines) {
              progressLines.finish()
              process.stderr.write('verifying: counting and hashing every table on both sides\n')
            }
          },
        },
      })
    } catch (error) {
      spinner.fail('migration stopped')
      throw error
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
    spinner.stop()

    let switched: string[] = []
    if (this.flags.switch && outcome.ok) {
      switched = editAgentYaml(workspace, {
        storage: to.backend === 'postgres' ? {backend: 'postgres', url: databaseUrlWithoutPassword(to.url)} : {backend: 'sqlite'},
      }).changed
    }
    const result: MigrateResult = {
      source: outcome.source,
      target: outcome.target,
      resumed: outcome.resumed,
      copied: outcome.copied,
      removedOtherData: outcome.removedOtherData,
      tables: outcome.tables,
      ok: outcome.ok,
      seconds: Math.round(outcome.seconds * 10) / 10,
      switched,
    }
    if (human) this.printReport(outcome, to, dbPath, switched)
    if (!outcome.ok) process.exitCode = 1
    return result
  }

  private printReport(outcome: StorageMigrationOutcome, to: StorageLocation, dbPath: string, switched: string[]): void {
    this.log(
      renderTable(outcome.tables, [
        {header: 'table', value: (row) => row.table},
        {header: 'source rows', value: (row) => row.sourceRows.toLocaleString('en-US')},
        {header: 'target rows', value: (row) => row.targetRows.toLocaleString('en-US')},
        {
          header: 'content (sha256)',
          value: (row) =>
            row.ok
              ? `${paint.green('same')} ${row.sourceHash.slice(0, 12)}`
              : paint.red(`DIFFERS ${row.sourceHash.slice(0, 12)} ≠ ${row.targetHash.slice(0, 12)}`),
        },
      ]),
    )
    const rows = outcome.tables.reduce((sum, row) => sum + row.sourceRows, 0)
    if (!outcome.ok) {
      const differ = outcome.tables.filter((row) => !row.ok).map((row) => row.table)
      this.log(
        paint.red(`✗ ${differ.join(', ')} differ${differ.length === 1 ? 's' : ''} between ${outcome.source} and ${outcome.target}.`) +
          ' Run the command again with the daemon stopped (it copies from the first row); if the same table differs again, one of its rows holds' +
          ' what the target cannot store as it is (PostgreSQL text cannot hold a NUL character) — see docs/deployment.md.',
      )
      if (this.flags.switch) this.log('agent.yaml was left as it was: --switch applies only to a verified copy.')
      return
    }
    this.log(
      `${paint.green('✓')} ${outcome.target} is a verified copy of ${outcome.source}: ${rowCount(rows)} in ${outcome.tables.length} tables, the same counts and content hashes (${rowCount(outcome.copied)} written; ${outcome.seconds.toFixed(1)} s in all).`,
    )
    this.log('')
    if (switched.length > 0 || this.flags.switch) {
      this.log(
        `agent.yaml now uses ${to.backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}${switched.length > 0 ? ` (${switched.join(', ')} changed)` : ' (it already did)'}.`,
      )
      if (to.backend === 'postgres' && databaseUrlHasPassword(to.url))
        this.log(`storage.url is written without its password: give the daemon the full URL in SIGNET_DATABASE_URL (or the password in ~/.pgpass).`)
      this.log(`Start the daemon: ${paint.bold('signet daemon start')}`)
      return
    }
    this.log(switchInstructions(to, dbPath, outcome.from))
  }
}

function targetFromEnv(): string {
  const value = process.env[TARGET_URL_ENV]?.trim()
  if (!value)
    throw new SignetError(
      `--to-env: ${TARGET_URL_ENV} is not set — export it with the target (postgres://user:password@host:5432/database)`,
      'invalid_argument',
    )
  return value
}

/** How to make the workspace's daemon use the target, when --switch was not given. */
function switchInstructions(to: StorageLocation, dbPath: string, from: StorageLocation): string {
  if (to.backend === 'postgres') {
    const lines = [
      'To run this workspace on it, set in agent.yaml (or run again with --switch, which edits it and keeps comments):',
      '  storage:',
      '    backend: postgres',
      `    url: ${databaseUrlWithoutPassword(to.url)}`,
    ]
    if (databaseUrlHasPassword(to.url))
      lines.push('and give the daemon the password through SIGNET_DATABASE_URL (the whole URL; it overrides storage.url) or ~/.pgpass.')
    lines.push(`Then: ${paint.bold('signet daemon start')}`)
    return lines.join('\n')
  }
  if (path.resolve(to.path) === path.resolve(dbPath)) {
    return [
      'To run this workspace on it, set in agent.yaml (or run again with --switch):',
      '  storage:',
      '    backend: sqlite',
      `Then: ${paint.bold('signet daemon start')}`,
    ].join('\n')
  }
  const lines = [
    `This workspace's SQLite database is ${dbPath}; ${to.path} is a separate copy (a backup, or a store for another workspace: put it at that workspace's memory/memories.db while its daemon is stopped).`,
  ]
  if (from.backend === 'postgres')
    lines.push(
      `To run this workspace on SQLite again, migrate to ${dbPath} with --switch instead (add --force if it still holds older data; its sources are kept).`,
    )
  return lines.join('\n')
}

function rowCount(rows: number): string {
  return `${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'}`
}

/** Without a terminal: a line when a table is done, and every 10 % of a large one. */
class ProgressLines {
  private table: string | undefined
  private last = {copied: 0, total: 0, tenth: 0}

  constructor(private readonly write: (line: string) => void) {}

  progress(table: string, copied: number, total: number): void {
    if (table !== this.table) {
      this.finish()
      this.table = table
      this.last = {copied, total, tenth: 0}
    }
    this.last.copied = copied
    this.last.total = total
    const tenth = total === 0 ? 0 : Math.floor((copied / total) * 10)
    if (total >= 10_000 && tenth > this.last.tenth && copied < total) {
      this.last.tenth = tenth
      this.write(`${table}: ${copied.toLocaleString('en-US')}/${rowCount(total)}`)
    }
  }

  finish(): void {
    if (this.table === undefined) return
    this.write(`${this.table}: ${rowCount(this.last.copied)} copied`)
    this.table = undefined
  }
}
