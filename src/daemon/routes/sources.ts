import path from 'node:path'

import {Hono} from 'hono'

import {addSourceBody as addBody, sourceNameParams as nameParam, sourceSearchBody as searchBody, type SourceView} from '../../api/sources.js'
import {resolveSourceRoot, type SourceSummary} from '../../store/sources.js'
import {ApiError, badRequest, notFound} from '../api-error.js'
import {type Principal, requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {parseWith, readJsonBody} from '../request-validation.js'
import {respond} from '../respond.js'

/** A default source name from the folder's own name: `~/code/My Repo` → `my-repo`. */
export function defaultSourceName(root: string): string {
  let base = path
    .basename(root)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
  while (base.endsWith('-')) base = base.slice(0, -1)
  return base || 'source'
}

/**
 * Indexed folders (sources), workspace-wide: every agent and project searches the same ones.
 * Adding, removing and reindexing need `admin` (the owner, or an admin key): pointing the daemon
 * at a folder makes it read files from this machine and serve them to every key that may recall.
 * Listing and searching need `recall`; only admins see where on disk a source lives.
 */
export function sourceRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const sources = daemon.sources

  app.post('/api/sources', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    const body = await readJsonBody(c, addBody)
    let root: string
    try {
      root = await resolveSourceRoot(body.path)
    } catch (error) {
      throw badRequest(`path: ${(error as Error).message}`, 'path')
    }
    for (const privateDir of [daemon.paths.daemonDir]) {
      const inside = path.relative(privateDir, root)
      if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside))) {
        throw badRequest("path: the daemon's private folder cannot be a source", 'path')
      }
    }
    const name = body.name ?? defaultSourceName(root)
    if (sources.get(name))
      throw new ApiError(409, 'source_exists', `name: a source named '${name}' already exists — choose another with --name`, {field: 'name'})
    const sameRoot = sources.byRoot(root)
    if (sameRoot) throw new ApiError(409, 'source_exists', `path: ${root} is already indexed as source '${sameRoot.name}'`, {field: 'path'})
    // No await between the checks above and this insert, so concurrent adds cannot both pass them.
    sources.add(name, root, body.include ?? [])
    daemon.logger.info('source added', {name, root})
    // The first scan runs now, so the folder is searchable as soon as this answers. A failure keeps
    // the source (the owner may fix the folder's permissions) and says why in `source.error`.
    const report = await sources.reindex(name).catch(() => null)
    return respond(c, 'POST /api/sources', {source: present(sources.get(name)!, principal), report}, 201)
  })

  app.get('/api/sources', (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    return respond(c, 'GET /api/sources', {sources: sources.list().map((source) => present(source, principal)), scope: 'workspace'})
  })

  app.delete('/api/sources/:name', (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    const {name} = parseWith(nameParam, c.req.param())
    if (!sources.remove(name)) throw notFound(`source '${name}' not found`)
    daemon.logger.info('source removed', {name})
    return respond(c, 'DELETE /api/sources/:name', {removed: name})
  })

  app.post('/api/sources/:name/reindex', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'admin')
    const {name} = parseWith(nameParam, c.req.param())
    if (!sources.get(name)) throw notFound(`source '${name}' not found`)
    const report = await sources.reindex(name).catch((error: unknown) => {
      throw new ApiError(409, 'source_unreadable', `source '${name}' could not be indexed: ${(error as Error).message}`)
    })
    return respond(c, 'POST /api/sources/:name/reindex', {source: present(sources.get(name)!, principal), report})
  })

  app.post('/api/sources/search', async (c) => {
    const started = performance.now()
    requirePermission(c.get('principal'), 'recall')
    const body = await readJsonBody(c, searchBody)
    if (body.source !== undefined && !sources.get(body.source)) throw notFound(`source '${body.source}' not found`)
    const hits = sources.search({query: body.query, limit: body.limit, source: body.source})
    return respond(c, 'POST /api/sources/search', {
      query: body.query,
      hits,
      count: hits.length,
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
    })
  })

  return app
}

/** Where a source lives on disk is the owner's business: other callers get its name and counts. */
function present(source: SourceSummary, principal: Principal): SourceView {
  if (principal.permissions.includes('admin')) return source
  const {root: _root, ...rest} = source
  // A scan error names paths on disk.
  return {...rest, error: rest.error === null ? null : 'the last scan failed'}
}
