import {isIP} from 'node:net'

import {SignetError} from '../errors.js'
import type {AgentConfig} from './agent-config.js'

export type AuthMode = 'local' | 'hybrid' | 'team'

export interface ListenSettings {
  bindHost: string
  port: number
  /** Derived from the bind address: loopback ⇒ localhost, anything else ⇒ tailscale. */
  networkMode: 'localhost' | 'tailscale'
  configuredAuthMode: AuthMode
  /** `local` never serves a non-loopback bind: it becomes `hybrid` (SECURITY.md). */
  effectiveAuthMode: AuthMode
  authModeWarning?: string
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const host = address.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host === '::1') return true
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host
  return isIP(v4) === 4 && v4.startsWith('127.')
}

/** Where the daemon listens and which auth mode applies, from agent.yaml plus SIGNET_BIND / SIGNET_PORT. */
export function resolveListenSettings(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): ListenSettings {
  const bindHost = env.SIGNET_BIND?.trim() || (config.network.mode === 'tailscale' ? '0.0.0.0' : '127.0.0.1')
  if (bindHost !== 'localhost' && isIP(bindHost.replace(/^\[|\]$/g, '')) === 0) {
    throw new SignetError(`SIGNET_BIND=${bindHost} is not an IP address — use 127.0.0.1, 0.0.0.0 or a local interface address`)
  }
  const port = parsePort(env.SIGNET_PORT, config.network.port)
  const loopback = isLoopbackAddress(bindHost)
  const configuredAuthMode = config.auth.mode
  let effectiveAuthMode: AuthMode = configuredAuthMode
  let authModeWarning: string | undefined
  if (!loopback && configuredAuthMode === 'local') {
    effectiveAuthMode = 'hybrid'
    authModeWarning = `auth.mode is "local" but the daemon binds ${bindHost}; serving in "hybrid" mode so remote callers need an API key`
  }
  return {bindHost, port, networkMode: loopback ? 'localhost' : 'tailscale', configuredAuthMode, effectiveAuthMode, authModeWarning}
}

export function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SignetError(`SIGNET_PORT=${raw} is not a valid port (0-65535)`)
  }
  return port
}
