/**
 * Doctor's database checks. While the daemon runs it answers them (GET /api/diagnostics/db, from
 * its storage's health); when no daemon runs, doctor checks the SQLite file itself, read-only,
 * through the SQLite backend's own check (src/store/sqlite/integrity.ts).
 */
export {checkDatabaseFile, type DatabaseIntegrity} from '../store/sqlite/integrity.js'
