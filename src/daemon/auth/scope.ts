import type {ProjectFilter} from '../../store/memories.js'
import {redactText} from '../../store/redaction.js'
import {forbidden, notFound} from '../api-error.js'
import {effectivePermissions, type Permission, type Principal, type PrincipalScope, resolveAgentId, type Role} from './principal.js'

/*
 * The one place that decides what a caller may read and write. Every memory, session, transcript,
 * hook, import, recall, list, count and key route asks a RequestScope (or the key helpers at the
 * bottom) instead of comparing agent ids and project names itself, so a new route cannot forget a
 * case that the others handle.
 *
 * The rules:
 * - Agent: a key scoped to an agent acts only for it (403 scope_violation when a request names
 *   another); everyone else acts for the agent they name, or `default`.
 * - Project: a key with `scope.project` or `allowedProjects` is *restricted* to those projects. It
 *   reads rows of its projects and global rows (no project: shared knowledge for every project),
 *   but writes, modifies, forgets and moves only rows of its own projects — never a global row,
 *   never another project's, and it can never move a row to global.
 * - Unscoped callers (the owner, unscoped keys) read and write every project, as they always have.
 */

export type {ProjectFilter} from '../../store/memories.js'

/** What a stored row needs for a scope decision. */
export interface ScopedRow {
  agentId: string
  project: string | null
}

/**
 * Project names are stored redacted (a git remote with a password in it must not land in the
 * database), so a requested name is compared in the same form it is stored in.
 */
export function canonicalProject(project: string): string {
  return redactText(project)
}

/** The projects a principal is limited to, or undefined when it may touch every project. */
export function ownProjectsOf(principal: Principal): readonly string[] | undefined {
  if (principal.scope.project) return [canonicalProject(principal.scope.project)]
  const allowed = principal.allowedProjects ?? []
  return allowed.length > 0 ? allowed.map(canonicalProject) : undefined
}

const quoteAll = (projects: readonly string[]) => projects.map((project) => `'${project}'`).join(', ')

export class RequestScope {
  constructor(
    readonly principal: Principal,
    /** The agent this request acts for. */
    readonly agentId: string,
    /** The project the request acts in: the one it named, or the key's only project. */
    readonly project: string | undefined,
    /** The projects the caller is limited to; undefined means unrestricted. */
    readonly ownProjects: readonly string[] | undefined,
    /** Did the request name its project (rather than default to the key's only one)? */
    readonly named = project !== undefined,
  ) {}

  get restricted(): boolean {
    return this.ownProjects !== undefined
  }

  /**
   * Where a new row goes: the request's project, or global (null) for an unrestricted caller that
   * named none. A key limited to several projects must say which one it writes to.
   */
  writeProject(): string | null {
    if (this.project !== undefined) return this.project
    if (this.ownProjects) {
      throw forbidden(`this key is limited to several projects: name one of ${quoteAll(this.ownProjects)}`, 'scope_violation')
    }
    return null
  }

  /** The project filter for a list, recall or search; `includeGlobal` adds rows without a project. */
  readFilter(options: {includeGlobal?: boolean} = {}): ProjectFilter {
    if (this.named && this.project !== undefined) return {project: this.project, includeGlobal: options.includeGlobal}
    // A restricted key that named no project reads everything it may: its projects and global rows.
    if (this.ownProjects) return {projects: this.ownProjects, includeGlobal: true}
    return {}
  }

  /** Sessions and transcripts have no "global" meaning: a restricted key sees only its projects' ones. */
  sessionFilter(): ProjectFilter {
    if (this.named && this.project !== undefined) return {project: this.project}
    if (this.ownProjects) return {projects: this.ownProjects}
    return {}
  }

  canRead(row: ScopedRow): boolean {
    if (row.agentId !== this.agentId) return false
    if (!this.ownProjects) return true
    return row.project === null || this.ownProjects.includes(row.project)
  }

  canWrite(row: ScopedRow): boolean {
    if (row.agentId !== this.agentId) return false
    if (!this.ownProjects) return true
    return row.project !== null && this.ownProjects.includes(row.project)
  }

  /** A row the caller may not read looks exactly like a missing one (404), so ids leak nothing. */
  assertCanRead<T extends ScopedRow>(row: T | undefined, what: string): T {
    if (!row || !this.canRead(row)) throw notFound(`${what} not found`)
    return row
  }

  /** 404 when the caller cannot even read the row; 403 scope_violation when it can read but not change it. */
  assertCanWrite<T extends ScopedRow>(row: T | undefined, what: string): T {
    const readable = this.assertCanRead(row, what)
    if (!this.canWrite(readable)) {
      const where = readable.project === null ? 'a global memory (no project)' : `project '${readable.project}'`
      throw forbidden(`this key is limited to ${quoteAll(this.ownProjects ?? [])} and cannot change ${what} in ${where}`, 'scope_violation')
    }
    return readable
  }

  /** A modify that moves a row: the destination must be writable too (a restricted key never moves a row to global). */
  assertCanMoveTo(project: string | null): string | null {
    if (project === null) {
      if (this.ownProjects) throw forbidden('this key is limited to its projects and cannot move a memory to global (project: null)', 'scope_violation')
      return null
    }
    const target = canonicalProject(project)
    if (this.ownProjects && !this.ownProjects.includes(target)) {
      throw forbidden(`this key may only access the projects ${quoteAll(this.ownProjects)}, not '${target}'`, 'scope_violation')
    }
    return target
  }

  canReadSession(row: ScopedRow): boolean {
    if (row.agentId !== this.agentId) return false
    return !this.ownProjects || (row.project !== null && this.ownProjects.includes(row.project))
  }

  /**
   * A session key belongs to the agent and project that first used it. A scoped key may not use a
   * session key another agent already owns, and a restricted key may not use one owned by another
   * project (or by no project): either would let it write into — or replace the transcript of — a
   * session it cannot read. Unscoped callers keep today's behaviour (a session may wander between
   * directories, and each agent has its own session rows).
   */
  async assertSessionOwner(sessionKey: string, owners: {otherAgents?: () => boolean | Promise<boolean>; session?: ScopedRow}): Promise<void> {
    if (this.principal.scope.agent && (await owners.otherAgents?.())) {
      throw forbidden(`session '${sessionKey}' belongs to another agent`, 'scope_violation')
    }
    const session = owners.session
    if (!session || !this.ownProjects) return
    const owned = session.project !== null && this.ownProjects.includes(session.project) && (this.project === undefined || session.project === this.project)
    if (!owned) throw forbidden(`session '${sessionKey}' belongs to another project`, 'scope_violation')
  }
}

/**
 * The scope of one request: the agent it acts for and the project it acts in, checked against
 * the caller's key (403 scope_violation when it names an agent or project outside its scope).
 */
export function requestScope(principal: Principal, requested: {agentId?: string | null; project?: string | null} = {}): RequestScope {
  const agentId = resolveAgentId(principal, requested.agentId)
  const ownProjects = ownProjectsOf(principal)
  const named = requested.project ? canonicalProject(requested.project) : undefined
  if (!ownProjects) return new RequestScope(principal, agentId, named, undefined)
  if (named !== undefined) {
    if (!ownProjects.includes(named)) {
      const message = principal.scope.project
        ? `this key is scoped to project '${ownProjects[0]}' and cannot access project '${named}'`
        : `this key may only access the projects ${quoteAll(ownProjects)}, not '${named}'`
      throw forbidden(message, 'scope_violation')
    }
    return new RequestScope(principal, agentId, named, ownProjects)
  }
  return new RequestScope(principal, agentId, ownProjects.length === 1 ? ownProjects[0] : undefined, ownProjects, false)
}

/**
 * Everything a caller may see when a request names no agent or project (status counts, harness
 * sightings): its agent when it is agent-scoped (else every agent), and its projects plus global
 * rows when it is restricted (else every project).
 */
export function visibleToCaller(principal: Principal): {agentId?: string} & ProjectFilter {
  const ownProjects = ownProjectsOf(principal)
  return {agentId: principal.scope.agent, ...(ownProjects ? {projects: ownProjects, includeGlobal: true} : {})}
}

// ---- API keys: a key can only mint, see, rotate and revoke keys inside its own scope and role ----

/** admin > operator > agent > readonly. */
export const ROLE_RANK: Record<Role, number> = {admin: 3, operator: 2, agent: 1, readonly: 0}

/** The authority a key carries, as far as minting is concerned. */
export interface KeyAuthority {
  role: Role
  permissions: readonly Permission[]
  scope: PrincipalScope
  agentId?: string | null
  allowedProjects?: readonly string[]
}

/** Owner callers (Unix socket / loopback in local mode, the admin token) are not limited by a key. */
function isOwner(principal: Principal): boolean {
  return principal.kind === 'local' || principal.kind === 'admin-token'
}

/**
 * Why `candidate` is broader than the caller, or undefined when it is within: role at most the
 * caller's, effective permissions a subset, the same agent and user when the caller is scoped to
 * one, and projects inside the caller's projects when it is restricted.
 */
export function keyBeyondScope(principal: Principal, candidate: KeyAuthority): {field: string; reason: string} | undefined {
  if (isOwner(principal)) return undefined
  if (ROLE_RANK[candidate.role] > ROLE_RANK[principal.role]) {
    return {field: 'role', reason: `role '${candidate.role}' is above this key's role '${principal.role}'`}
  }
  const extra = effectivePermissions(candidate.role, candidate.permissions).filter((permission) => !principal.permissions.includes(permission))
  if (extra.length > 0) return {field: 'permissions', reason: `permission '${extra[0]}' is not held by this key`}
  const agent = candidate.scope.agent ?? candidate.agentId ?? undefined
  if (principal.scope.agent && agent !== principal.scope.agent) {
    return {
      field: 'scope.agent',
      reason: `this key is scoped to agent '${principal.scope.agent}', so the key must be too (got ${agent ? `'${agent}'` : 'no agent scope'})`,
    }
  }
  if (principal.scope.user && candidate.scope.user !== principal.scope.user) {
    return {field: 'scope.user', reason: `this key is scoped to user '${principal.scope.user}', so the key must be too`}
  }
  const own = ownProjectsOf(principal)
  if (own) {
    const projects = candidate.scope.project ? [candidate.scope.project] : [...(candidate.allowedProjects ?? [])]
    if (projects.length === 0) return {field: 'scope.project', reason: `this key is limited to ${quoteAll(own)}, so the key must be limited to some of them`}
    const outside = projects.map(canonicalProject).find((project) => !own.includes(project))
    if (outside) return {field: 'scope.project', reason: `project '${outside}' is outside this key's projects ${quoteAll(own)}`}
  }
  return undefined
}

/** 403 scope_violation when the caller would mint (or rotate into) a key broader than itself. */
export function assertCanMint(principal: Principal, candidate: KeyAuthority): void {
  const beyond = keyBeyondScope(principal, candidate)
  if (beyond) throw forbidden(`cannot create a key broader than this one: ${beyond.reason}`, 'scope_violation')
}

/** Could this caller mint any key at all (the owner, or an unscoped admin key with every permission)? */
export function holdsFullAuthority(principal: Principal): boolean {
  return keyBeyondScope(principal, {role: 'admin', permissions: [], scope: {}}) === undefined
}

/** Keys a caller may list, rotate or revoke: those it could have minted itself. */
export function keyWithinScope(principal: Principal, key: KeyAuthority): boolean {
  return keyBeyondScope(principal, key) === undefined
}
