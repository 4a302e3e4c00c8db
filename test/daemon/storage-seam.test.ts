import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {ESLint} from 'eslint'
import {describe, expect, it} from 'vitest'

/*
 * The daemon reaches storage only through daemon.storage (docs/architecture.md, "Storage"): no
 * database handle, no SQL, no transaction in routes. Two locks keep it so: the layer rule in
 * eslint.config.js (run here on a deliberate violation, so the rule itself cannot silently go), and
 * a scan of the daemon's sources for SQL.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Where the daemon opens its storage: the seam's one door. */
const OPENERS = new Set(['src/daemon/server.ts', 'src/daemon/process.ts'])

function daemonSources(dir = path.join(ROOT, 'src/daemon')): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return daemonSources(full)
    return entry.name.endsWith('.ts') ? [path.relative(ROOT, full)] : []
  })
}

describe('the storage seam in the daemon', () => {
  it('the layer rules refuse a route that opens the database, imports the SQLite backend or loads the driver', async () => {
    const eslint = new ESLint({cwd: ROOT})
    const violation = [
      "import Database from 'better-sqlite3'",
      "import {openDatabase} from '../../store/db.js'",
      "import {openSqliteStorage} from '../../store/sqlite/storage.js'",
      'export const opened = [Database, openDatabase, openSqliteStorage]',
      '',
    ].join('\n')
    const [route] = await eslint.lintText(violation, {filePath: path.join(ROOT, 'src/daemon/routes/seam-violation.ts')})
    const rules = route.messages.map((message) => `${message.ruleId} ${message.line}`)
    expect(rules).toEqual(expect.arrayContaining(['no-restricted-imports 1', 'import-x/no-restricted-paths 2', 'import-x/no-restricted-paths 3']))
    // The server may open the SQLite backend (it must not touch the driver or db.ts itself either).
    const [server] = await eslint.lintText("import {openSqliteStorage} from '../store/sqlite/storage.js'\nexport const open = openSqliteStorage\n", {
      filePath: path.join(ROOT, 'src/daemon/server.ts'),
    })
    expect(server.messages.filter((message) => message.ruleId?.includes('restricted'))).toEqual([])
  }, 60_000)

  it('no daemon source holds SQL, prepares a statement or opens a transaction', () => {
    const sql = /\.prepare\(|\.transaction\(|\.pragma\(|\.exec\(\s*['"`]|\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b/i
    const offenders = daemonSources()
      .filter((file) => !OPENERS.has(file))
      .flatMap((file) =>
        readFileSync(path.join(ROOT, file), 'utf8')
          .split('\n')
          .map((line, index) => ({file, line: index + 1, text: line}))
          .filter(({text}) => sql.test(text)),
      )
    expect(offenders).toEqual([])
    expect(daemonSources().length).toBeGreaterThan(20)
  })
})
