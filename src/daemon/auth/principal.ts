import {type Permission, type Role, ROLE_PERMISSIONS} from '../../store/roles.js'
import {forbidden} from '../api-error.js'

// The vocabulary lives in the store (keys persist it); re-exported for the daemon's routes.
export {PERMISSIONS, type Permission, type Role, ROLE_PERMISSIONS, ROLES} from '../../store/roles.js'

export interface PrincipalScope {
  agent?: string
  project?: string
  user?: string
}

/** Who is calling, as decided by the auth middleware; every route reads it, none re-derives it. */
export interface Principal {
  /**
   * local: the owner, through the daemon's Unix socket in the 0700 `.daemon/` (no credential needed);
   * admin-token: the owner over loopback TCP with the 0600 `.daemon/admin.token`;
   * api-key: a `sig_sk_…` key; device: a dashboard device session (cookie); anonymous: an open
   * route (`/health`, pair claim) without a credential.
   */
  kind: 'local' | 'admin-token' | 'api-key' | 'device' | 'anonymous'
  role: Role
  permissions: readonly Permission[]
  scope: PrincipalScope
  /** When non-empty, the only projects a request may name (the key's `allowedProjects`). */
  allowedProjects?: readonly string[]
  /** The TCP peer is not loopback, or the request came through a proxy (never for the owner socket). */
  remote: boolean
  /** The client address used for rate limits and the audit trail. */
  peer?: string
  keyId?: string
  /** The dashboard device session (`dev_…`) when kind is device. */
  deviceId?: string
  name?: string
  connector?: string | null
}

export const DEFAULT_AGENT_ID = 'default'

export function localAdminPrincipal(remote = false, peer?: string): Principal {
  return {kind: 'local', role: 'admin', permissions: ROLE_PERMISSIONS.admin, scope: {}, remote, peer}
}

export function adminTokenPrincipal(remote: boolean, peer?: string): Principal {
  return {kind: 'admin-token', role: 'admin', permissions: ROLE_PERMISSIONS.admin, scope: {}, remote, peer, name: 'local admin token'}
}

export function anonymousPrincipal(remote: boolean, peer?: string): Principal {
  return {kind: 'anonymous', role: 'readonly', permissions: [], scope: {}, remote, peer}
}

/** A key's permissions list can only narrow its role: the effective set is the intersection. */
export function effectivePermissions(role: Role, narrowed: readonly Permission[]): Permission[] {
  const granted = ROLE_PERMISSIONS[role]
  if (narrowed.length === 0) return [...granted]
  return granted.filter((permission) => narrowed.includes(permission))
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.includes(permission)) {
    const who =
      principal.kind === 'api-key' && principal.permissions.length < ROLE_PERMISSIONS[principal.role].length
        ? `this key (role '${principal.role}', narrowed permissions)`
        : `role '${principal.role}'`
    throw forbidden(`${who} lacks the '${permission}' permission`, 'permission_denied')
  }
}

/**
 * The agent a request acts for: a scoped key defaults to its agent and may not name another
 * (403 scope_violation); unscoped callers get what they asked for, or `default`.
 */
export function resolveAgentId(principal: Principal, requested?: string | null): string {
  const scoped = principal.scope.agent
  if (scoped) {
    if (requested && requested !== scoped) {
      throw forbidden(`this key is scoped to agent '${scoped}' and cannot act for agent '${requested}'`, 'scope_violation')
    }
    return scoped
  }
  return requested || DEFAULT_AGENT_ID
}

/** Same rule for project scope: returns the project filter to apply, if any. */
export function resolveProject(principal: Principal, requested?: string | null): string | undefined {
  const scoped = principal.scope.project
  if (scoped) {
    if (requested && requested !== scoped) {
      throw forbidden(`this key is scoped to project '${scoped}' and cannot access project '${requested}'`, 'scope_violation')
    }
    return scoped
  }
  const allowed = principal.allowedProjects ?? []
  if (allowed.length === 0) return requested ?? undefined
  if (requested) {
    if (!allowed.includes(requested)) {
      throw forbidden(`this key may only access the projects ${allowed.map((p) => `'${p}'`).join(', ')}, not '${requested}'`, 'scope_violation')
    }
    return requested
  }
  if (allowed.length === 1) return allowed[0]
  // No single project to default to, and "all projects" would include ones the key may not see.
  throw forbidden(`this key is limited to several projects: name one of ${allowed.map((p) => `'${p}'`).join(', ')}`, 'scope_violation')
}
