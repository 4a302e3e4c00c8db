import {existsSync} from 'node:fs'
import {homedir} from 'node:os'

import type {FileChange} from '../config/atomic-file.js'
import type {HarnessProfile, Version} from '../harnesses/profile.js'
import type {HarnessId} from '../harnesses/registry.js'
import {signetEntryPoints, type SignetEntryPoints} from './hook-command.js'
import {cachedVersionProbe} from './version-probe-cache.js'

/** Everything a connector may look at; tests pass their own HOME and env. */
export interface ConnectorContext {
  home: string
  env: NodeJS.ProcessEnv
  entry: SignetEntryPoints
  /**
   * Runs a harness binary's `--version` and returns its output, or undefined when the
   * binary is not on PATH. Injected so tests can point at a real CLI in a cache dir.
   */
  probeVersion(binary: string): Promise<string | undefined>
}

export interface Detection {
  /** The harness looks present: its binary answers or its config directory exists. */
  detected: boolean
  version?: string
  configDir: string
}

export interface InstallResult {
  harness: HarnessId
  files: FileChange[]
  /** What the user still has to do in the harness (trust prompts, restarts). */
  notes: string[]
}

export type ConnectorState = 'installed' | 'partial' | 'not-installed'

export interface ConnectorStatus {
  harness: HarnessId
  state: ConnectorState
  detected: boolean
  version?: string
  /** Each file the connector owns or edits, and whether our part of it is there. */
  files: Array<{path: string; present: boolean; what: string}>
  problems: string[]
}

/**
 * One harness integration: the only code that edits that harness's files. What the harness is
 * (names, events, where it keeps its config) is its profile (src/harnesses/).
 */
export interface Connector {
  readonly profile: HarnessProfile<HarnessId>
  readonly id: HarnessId
  readonly displayName: string
  detect(ctx: ConnectorContext): Promise<Detection>
  install(ctx: ConnectorContext): Promise<InstallResult>
  uninstall(ctx: ConnectorContext): Promise<InstallResult>
  status(ctx: ConnectorContext): Promise<ConnectorStatus>
}

/**
 * What every connector shares: its profile's id and name, and detection — the harness counts as
 * present when its binary answers `--version` or one of the places it keeps its files exists.
 */
export abstract class ProfiledConnector<Id extends HarnessId> implements Connector {
  readonly id: Id
  readonly displayName: string

  /**
   * `presenceMarkers`: the harness's config directory (what detect reports), then any other path
   * whose existence means the harness is installed.
   */
  constructor(
    readonly profile: HarnessProfile<Id>,
    private readonly presenceMarkers: (ctx: ConnectorContext) => [configDir: string, ...others: string[]],
  ) {
    this.id = profile.id
    this.displayName = profile.displayName
  }

  async detect(ctx: ConnectorContext): Promise<Detection> {
    const markers = this.presenceMarkers(ctx)
    const version = await ctx.probeVersion(this.profile.binary)
    return {detected: Boolean(version) || markers.some((marker) => existsSync(marker)), version, configDir: markers[0]}
  }

  abstract install(ctx: ConnectorContext): Promise<InstallResult>
  abstract uninstall(ctx: ConnectorContext): Promise<InstallResult>
  abstract status(ctx: ConnectorContext): Promise<ConnectorStatus>
}

export function stateFromParts(parts: boolean[]): ConnectorState {
  if (parts.every(Boolean)) return 'installed'
  return parts.some(Boolean) ? 'partial' : 'not-installed'
}

/** The real context: this process's HOME and env, versions probed with a short timeout and cached per binary file. */
export function defaultConnectorContext(overrides: Partial<ConnectorContext> = {}): ConnectorContext {
  return {
    home: overrides.env?.HOME ?? homedir(),
    env: process.env,
    entry: signetEntryPoints(),
    probeVersion: cachedVersionProbe(),
    ...overrides,
  }
}

/** First `x.y.z` in a `--version` output. */
export function parseVersion(output: string | undefined): [number, number, number] | undefined {
  const match = output ? /(\d+)\.(\d+)\.(\d+)/.exec(output) : null
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined
}

export function versionAtLeast(version: Version | undefined, minimum: Version): boolean {
  if (!version) return false
  for (let i = 0; i < 3; i++) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i]
  }
  return true
}
