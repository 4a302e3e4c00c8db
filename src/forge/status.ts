import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'

import type {AgentConfig} from '../config/agent-config.js'
import type {Finding} from '../diagnostics/finding.js'
import {findExecutableOnPath, isDirOnPath, isExecutableFile} from '../diagnostics/path-lookup.js'
import {forgeBinDir, forgePathHint, type ForgeInstallRecord, managedForgePath, readForgeRecord} from './record.js'
import {detectForgePlatform} from './platform.js'
import {resolveReleaseSource} from './release.js'

export interface ForgeStatus {
  /** A forge binary exists: the managed one or one on PATH. */
  installed: boolean
  /** The binary a shell would run (PATH first, else the managed one). */
  binaryPath: string | null
  version: string | null
  managed: boolean
  managedBinaryPath: string
  managedVersion: string | null
  managedRecord: ForgeInstallRecord | null
  /** sha256 of the managed binary matches its install record. */
  managedVerified: boolean | null
  managedExecutable: boolean | null
  onPath: boolean
  pathBinary: string | null
  binDirOnPath: boolean
  /** PATH finds a different forge before the managed one. */
  shadowed: boolean
  platform: {os: string; arch: string; supported: boolean; asset: string | null}
  releaseUrl: string | null
  releaseUrlOrigin: string | null
  releaseUrlError: string | null
}

export async function forgeStatus(options: {workspace?: string; env?: NodeJS.ProcessEnv; config?: Pick<AgentConfig, 'forge'>} = {}): Promise<ForgeStatus> {
  const env = options.env ?? process.env
  const managedBinaryPath = managedForgePath()
  const managed = existsSync(managedBinaryPath)
  const record = readForgeRecord()
  const pathBinary = findExecutableOnPath('forge', env) ?? null
  const samePath = pathBinary !== null && path.resolve(pathBinary) === path.resolve(managedBinaryPath)
  let platform: ForgeStatus['platform']
  try {
    const detected = detectForgePlatform()
    platform = {os: detected.os, arch: detected.arch, supported: true, asset: detected.asset}
  } catch {
    platform = {os: process.platform, arch: process.arch, supported: false, asset: null}
  }
  let releaseUrl: string | null = null
  let releaseUrlOrigin: string | null = null
  let releaseUrlError: string | null = null
  try {
    const release = await resolveReleaseSource({workspace: options.workspace, env, config: options.config})
    releaseUrl = release.baseUrl
    releaseUrlOrigin = release.origin
  } catch (error) {
    releaseUrlError = (error as Error).message
  }
  // The installer (and node:crypto with it) loads only when there is a managed binary to check.
  const managedVerified = managed && record ? (await import('./install.js')).sha256OfFile(managedBinaryPath) === record.sha256 : null
  const binaryPath = pathBinary ?? (managed ? managedBinaryPath : null)
  let version: string | null = null
  if (binaryPath && (samePath || !pathBinary) && record) version = record.version
  else if (binaryPath) version = await probeVersion(binaryPath)
  return {
    installed: binaryPath !== null,
    binaryPath,
    version,
    managed,
    managedBinaryPath,
    managedVersion: managed ? (record?.version ?? null) : null,
    managedRecord: record ?? null,
    managedVerified,
    managedExecutable: managed ? isExecutableFile(managedBinaryPath) : null,
    onPath: pathBinary !== null,
    pathBinary,
    binDirOnPath: isDirOnPath(forgeBinDir(), env),
    shadowed: managed && pathBinary !== null && !samePath,
    platform,
    releaseUrl,
    releaseUrlOrigin,
    releaseUrlError,
  }
}

/** `forge --version` of a binary Signet did not install (first line, 3 s budget); null when it will not say. */
function probeVersion(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], {timeout: 3000, maxBuffer: 64 * 1024}, (error, stdout) => {
      if (error) return resolve(null)
      const line = stdout.trim().split('\n')[0]?.trim()
      resolve(line ? line.slice(0, 100) : null)
    })
  })
}

/** What `forge doctor` (and `signet doctor`) report about Forge. */
export function forgeFindings(status: ForgeStatus): Finding[] {
  const findings: Finding[] = []
  if (status.releaseUrlError) {
    findings.push({
      level: 'error',
      code: 'forge_release_url_invalid',
      message: status.releaseUrlError,
      fix: 'fix SIGNET_FORGE_RELEASE_URL or forge.releaseUrl in agent.yaml',
    })
  }
  if (!status.platform.supported) {
    findings.push({
      level: 'info',
      code: 'forge_platform_unsupported',
      message: `no Forge release is built for ${status.platform.os}/${status.platform.arch}`,
      fix: 'use macOS or Linux on x64/arm64 (or WSL on Windows)',
    })
    return findings
  }
  if (!status.installed) {
    findings.push({level: 'info', code: 'forge_not_installed', message: 'Forge is not installed', fix: 'signet forge install'})
    return findings
  }
  if (status.managed) {
    if (!status.managedRecord) {
      findings.push({
        level: 'warn',
        code: 'forge_record_missing',
        message: `${status.managedBinaryPath} has no install record, so its version and checksum are unknown`,
        fix: 'signet forge install --force',
      })
    } else if (status.managedVerified === false) {
      findings.push({
        level: 'error',
        code: 'forge_binary_modified',
        message: `${status.managedBinaryPath} no longer matches the sha256 recorded at install (${status.managedRecord.version})`,
        fix: 'signet forge install --force',
      })
    }
    if (status.managedExecutable === false) {
      findings.push({
        level: 'error',
        code: 'forge_not_executable',
        message: `${status.managedBinaryPath} is not executable`,
        fix: 'signet forge install --force',
      })
    }
    if (!status.onPath) {
      findings.push({
        level: 'warn',
        code: 'forge_not_on_path',
        message: `forge is installed at ${status.managedBinaryPath} but ${forgeBinDir()} is not on PATH`,
        fix: `add to your shell profile: ${forgePathHint()}`,
      })
    } else if (status.shadowed) {
      findings.push({
        level: 'warn',
        code: 'forge_shadowed',
        message: `PATH runs ${status.pathBinary}, not the Signet-managed ${status.managedBinaryPath}`,
        fix: `put ${forgeBinDir()} first on PATH or remove the other forge`,
      })
    }
  }
  return findings
}
