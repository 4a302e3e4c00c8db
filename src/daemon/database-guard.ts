import type {MiddlewareHandler} from 'hono'

import type {StorageWriteProblem} from '../store/storage.js'
import type {AppEnv, DaemonContext} from './context.js'

/**
 * The database file can be deleted or renamed over while the daemon holds it open (a cleanup
 * script, a restore by `mv`, a sync tool). SQLite keeps writing to the open, unlinked file: every
 * write would be acknowledged and then vanish at the next start. So before any request that can
 * write, ask the storage whether writes are safe (for SQLite: is the file at the path still the one
 * it opened), and refuse loudly if not.
 */

/** What the storage reports when writes are not safe: its kind (`deleted`, `replaced`, …) and the full message, which may name paths. */
interface StorageProblem {
  kind: StorageWriteProblem['code']
  message: string
}

export const DATABASE_REPLACED_CODE = 'database_replaced'
export const STORAGE_UNREACHABLE_CODE = 'storage_unreachable'

/** Said to callers, who may not be allowed to see filesystem paths or the server's address. */
const PUBLIC_MESSAGES: Record<StorageWriteProblem['code'], {code: string; message: string}> = {
  deleted: {
    code: DATABASE_REPLACED_CODE,
    message:
      'the daemon database file was deleted or replaced under the running daemon; writes are refused so none is lost — restart the daemon (signet daemon restart)',
  },
  replaced: {
    code: DATABASE_REPLACED_CODE,
    message:
      'the daemon database file was deleted or replaced under the running daemon; writes are refused so none is lost — restart the daemon (signet daemon restart)',
  },
  unreachable: {
    code: STORAGE_UNREACHABLE_CODE,
    message: 'the storage server (PostgreSQL) does not answer; writes are refused until it does, so none is lost — retry shortly',
  },
}

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const reported = new WeakMap<DaemonContext, string>()

/** The current problem with the database file, logged once per change so the log says when it happened. */
export function currentDatabaseProblem(daemon: DaemonContext): StorageProblem | undefined {
  const found = daemon.storage.writeProblem()
  if (!found) {
    reported.delete(daemon)
    return undefined
  }
  const problem = {kind: found.code, message: found.message}
  if (reported.get(daemon) !== problem.kind) {
    reported.set(daemon, problem.kind)
    daemon.logger.error(problem.kind === 'unreachable' ? 'storage unreachable' : 'database file lost', {kind: problem.kind, detail: problem.message})
  }
  return problem
}

/** What /health and /api/status say about the database; paths only for callers allowed to see them. */
export function databaseHealth(
  daemon: DaemonContext,
  options: {revealPaths: boolean},
): {status: 'ok'} | {status: StorageWriteProblem['code']; code: string; message: string} {
  const problem = currentDatabaseProblem(daemon)
  if (!problem) return {status: 'ok'}
  const told = PUBLIC_MESSAGES[problem.kind]
  return {status: problem.kind, code: told.code, message: options.revealPaths ? problem.message : told.message}
}

/** Refuse every request that may write (any method but GET/HEAD/OPTIONS) while the file is not ours. */
export function guardDatabaseFile(daemon: DaemonContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (READ_ONLY_METHODS.has(c.req.method)) return next()
    const problem = currentDatabaseProblem(daemon)
    if (!problem) return next()
    const told = PUBLIC_MESSAGES[problem.kind]
    daemon.logger.error(`write refused: ${problem.kind === 'unreachable' ? 'storage unreachable' : 'database file deleted or replaced'}`, {
      method: c.req.method,
      path: c.req.path,
    })
    return c.json({error: told.message, code: told.code}, 503)
  }
}
