/**
 * The role and permission vocabulary of API keys. It lives with the store because keys and pairing
 * codes persist roles and permissions; the daemon's auth (src/daemon/auth/principal.ts) enforces them.
 */
export type Role = 'admin' | 'operator' | 'agent' | 'readonly'

export const ROLES: readonly Role[] = ['admin', 'operator', 'agent', 'readonly']

export type Permission = 'recall' | 'remember' | 'modify' | 'forget' | 'hooks' | 'sessions' | 'messages' | 'harnesses' | 'keys' | 'admin'

export const PERMISSIONS: readonly Permission[] = ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'messages', 'harnesses', 'keys', 'admin']

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'messages', 'harnesses', 'keys', 'admin'],
  operator: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'messages', 'harnesses'],
  // `messages`: see peers, send as its own agent, read and ack its own inbox (the agent network).
  agent: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions', 'messages'],
  readonly: ['recall'],
}
