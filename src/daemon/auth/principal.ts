import {forbidden} from '../api-error.js'

export type Role = 'admin' | 'operator' | 'agent' | 'readonly'

export type Permission =
  | 'recall'
  | 'remember'
  | 'modify'
  | 'forget'
  | 'hooks'
  | 'sessions'
  | 'harnesses'
  | 'keys'
  | 'admin'

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'harnesses', 'keys', 'admin'],
  operator: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'harnesses'],
  agent: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions'],
  readonly: ['recall'],
}

export interface PrincipalScope {
  agent?: string
  project?: string
  user?: string
}

/** Who is calling, as decided by the auth middleware; every route reads it, none re-derives it. */
export interface Principal {
  kind: 'local' | 'admin-token' | 'api-key'
  role: Role
  permissions: readonly Permission[]
  scope: PrincipalScope
  /** The TCP peer is not loopback, or the request came through a proxy. */
  remote: boolean
  keyId?: string
  name?: string
  connector?: string | null
}

export const DEFAULT_AGENT_ID = 'default'

export function localAdminPrincipal(remote = false): Principal {
  return {kind: 'local', role: 'admin', permissions: ROLE_PERMISSIONS.admin, scope: {}, remote}
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.includes(permission)) {
    throw forbidden(`role '${principal.role}' lacks the '${permission}' permission`, 'permission_denied')
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
  return requested ?? undefined
}
