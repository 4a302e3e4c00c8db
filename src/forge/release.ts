import {existsSync} from 'node:fs'

import type {AgentConfig} from '../config/agent-config.js'
import {workspacePaths} from '../config/paths.js'
import {SignetError} from '../errors.js'

/**
 * Release layout served under the release base URL (SIGNET_FORGE_RELEASE_URL, agent.yaml
 * `forge.releaseUrl`, or this default):
 *
 *   <base>/latest                       plain text: the newest version, e.g. `1.4.0`
 *   <base>/<version>/SHA256SUMS         `sha256sum` format: `<64 hex>  <asset>` per line
 *   <base>/<version>/forge-<os>-<arch>  the executable (os: darwin|linux, arch: x64|arm64)
 */
export const DEFAULT_FORGE_RELEASE_URL = 'https://releases.signetai.sh/forge'

export const CHECKSUM_FILE = 'SHA256SUMS'

export interface ReleaseSource {
  baseUrl: string
  origin: 'env' | 'agent.yaml' | 'default'
}

/**
 * Release base URL: SIGNET_FORGE_RELEASE_URL → agent.yaml `forge.releaseUrl` → the default. A caller
 * that has parsed agent.yaml already passes it as `config` (doctor), so it is not parsed twice.
 */
export async function resolveReleaseSource(
  options: {workspace?: string; env?: NodeJS.ProcessEnv; config?: Pick<AgentConfig, 'forge'>} = {},
): Promise<ReleaseSource> {
  const env = options.env ?? process.env
  const fromEnv = env.SIGNET_FORGE_RELEASE_URL?.trim()
  if (fromEnv) return {baseUrl: parseReleaseBaseUrl(fromEnv, 'SIGNET_FORGE_RELEASE_URL'), origin: 'env'}
  let config = options.config
  if (!config && options.workspace && existsSync(workspacePaths(options.workspace).agentYaml)) {
    // Loaded here only: `status` imports this module and reads no agent.yaml for Forge (B5 in bench/README.md).
    const {loadAgentConfig} = await import('../config/agent-config.js')
    config = loadAgentConfig(options.workspace)
  }
  const configured = config?.forge?.releaseUrl
  if (configured) return {baseUrl: parseReleaseBaseUrl(configured, 'agent.yaml forge.releaseUrl'), origin: 'agent.yaml'}
  return {baseUrl: DEFAULT_FORGE_RELEASE_URL, origin: 'default'}
}

export function parseReleaseBaseUrl(raw: string, label: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new SignetError(`${label}="${raw}" is not a URL — expected something like https://example.com/forge`, 'invalid_release_url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SignetError(`${label} must use http or https, not ${url.protocol.replace(':', '')}`, 'invalid_release_url')
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new SignetError(`${label} must be a plain base URL without credentials, query or fragment`, 'invalid_release_url')
  }
  return url.href.replace(/\/+$/, '')
}

const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

/** A release version as used in URLs: semver without a leading `v`; anything else is refused (it becomes a path). */
export function normalizeForgeVersion(raw: string, label = '--version'): string {
  const version = raw.trim().replace(/^v/, '')
  if (!VERSION_PATTERN.test(version)) {
    throw new SignetError(`${label} "${raw.trim()}" is not a release version like 1.4.0`, 'invalid_version')
  }
  return version
}

export function latestUrl(baseUrl: string): string {
  return `${baseUrl}/latest`
}

export function checksumUrl(baseUrl: string, version: string): string {
  return `${baseUrl}/${encodeURIComponent(version)}/${CHECKSUM_FILE}`
}

export function assetUrl(baseUrl: string, version: string, asset: string): string {
  return `${baseUrl}/${encodeURIComponent(version)}/${asset}`
}

/** Parse `sha256sum` output (`<hex>  <name>` or `<hex> *<name>`) into name → lowercase hex. */
export function parseChecksumFile(text: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line.trim())
    if (match) sums.set(match[2].replace(/^\.\//, ''), match[1].toLowerCase())
  }
  return sums
}

/** Compare two release versions (numeric major.minor.patch; a pre-release sorts before its release). */
export function compareForgeVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [core, pre] = version.split('+')[0].split(/-(.*)/s)
    return {parts: core.split('.').map(Number), pre: pre ?? ''}
  }
  const left = parse(a)
  const right = parse(b)
  for (let index = 0; index < 3; index++) {
    const diff = (left.parts[index] ?? 0) - (right.parts[index] ?? 0)
    if (diff !== 0) return Math.sign(diff)
  }
  if (left.pre === right.pre) return 0
  if (!left.pre) return 1
  if (!right.pre) return -1
  return left.pre < right.pre ? -1 : 1
}
