import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'

import {writeFileAtomic} from '../config/atomic-file.js'
import {isDirOnPath} from '../diagnostics/path-lookup.js'
import {SignetError} from '../errors.js'
import {downloadAsset, fetchReleaseText, type DownloadProgress} from './download.js'
import {detectForgePlatform} from './platform.js'
import {forgeBinDir, type ForgeInstallRecord, forgePathHint, forgeRecordPath, managedForgePath, readForgeRecord} from './record.js'
import {assetUrl, checksumUrl, CHECKSUM_FILE, latestUrl, normalizeForgeVersion, parseChecksumFile, resolveReleaseSource} from './release.js'

/** The binary's sha256, compared with its install record (by status and doctor, loaded on demand). */
export function sha256OfFile(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex')
  } catch {
    return undefined
  }
}

export type ForgeInstallAction = 'installed' | 'updated' | 'reinstalled' | 'unchanged'

export interface ForgeInstallResult {
  action: ForgeInstallAction
  version: string
  previousVersion: string | null
  binaryPath: string
  sha256: string
  sourceUrl: string
  releaseUrl: string
  bytes: number
  binDirOnPath: boolean
  pathHint: string | null
}

export interface ForgeInstallOptions {
  /** Workspace whose agent.yaml may set `forge.releaseUrl`. */
  workspace?: string
  version?: string
  /** Reinstall even when the same verified version is already there. */
  force?: boolean
  platform?: string
  arch?: string
  env?: NodeJS.ProcessEnv
  onStage?: (text: string) => void
  onProgress?: (progress: DownloadProgress) => void
}

/**
 * Download the release asset for this OS/arch, verify it against the release's SHA256SUMS, and
 * move it over `~/.config/signet/bin/forge` in one rename: the old binary stays intact on any failure.
 */
export async function installForge(options: ForgeInstallOptions = {}): Promise<ForgeInstallResult> {
  const env = options.env ?? process.env
  const platform = detectForgePlatform(options.platform, options.arch)
  const release = await resolveReleaseSource({workspace: options.workspace, env})
  let version: string
  if (options.version) {
    version = normalizeForgeVersion(options.version)
  } else {
    options.onStage?.(`Looking up the latest Forge release at ${release.baseUrl}`)
    const latest = (await fetchReleaseText(latestUrl(release.baseUrl), 'the latest Forge version')).trim()
    version = normalizeForgeVersion(latest, `${latestUrl(release.baseUrl)} answered`)
  }

  const binaryPath = managedForgePath()
  const previous = readForgeRecord()
  const currentHash = existsSync(binaryPath) ? sha256OfFile(binaryPath) : undefined
  const binDirOnPath = isDirOnPath(forgeBinDir(), env)
  const sourceUrl = assetUrl(release.baseUrl, version, platform.asset)
  if (!options.force && previous && previous.version === version && currentHash === previous.sha256) {
    return {
      action: 'unchanged',
      version,
      previousVersion: previous.version,
      binaryPath,
      sha256: previous.sha256,
      sourceUrl: previous.sourceUrl,
      releaseUrl: release.baseUrl,
      bytes: previous.bytes,
      binDirOnPath,
      pathHint: binDirOnPath ? null : forgePathHint(),
    }
  }

  options.onStage?.(`Fetching ${CHECKSUM_FILE} for Forge ${version}`)
  const sumsUrl = checksumUrl(release.baseUrl, version)
  const sums = parseChecksumFile(await fetchReleaseText(sumsUrl, `${CHECKSUM_FILE} of Forge ${version}`))
  const expected = sums.get(platform.asset)
  if (!expected) {
    throw new SignetError(
      `${CHECKSUM_FILE} of Forge ${version} lists no ${platform.asset} — this release has no build for ${platform.os}/${platform.arch}`,
      'asset_not_listed',
    )
  }

  const dir = forgeBinDir()
  mkdirSync(dir, {recursive: true, mode: 0o755})
  const temp = path.join(dir, `.forge.${process.pid}.${randomBytes(4).toString('hex')}.download`)
  options.onStage?.(`Downloading ${platform.asset} ${version}`)
  try {
    const downloaded = await downloadAsset(sourceUrl, temp, {what: `${platform.asset} ${version}`, onProgress: options.onProgress})
    if (downloaded.sha256 !== expected) {
      throw new SignetError(
        `checksum mismatch for ${platform.asset} ${version}: expected ${expected}, got ${downloaded.sha256} — ` +
          'the download is corrupt or was tampered with; nothing was installed',
        'checksum_mismatch',
      )
    }
    if (downloaded.bytes === 0) throw new SignetError(`${platform.asset} ${version} is empty — nothing was installed`, 'download_failed')
    chmodSync(temp, 0o755)
    renameSync(temp, binaryPath)
    const record: ForgeInstallRecord = {
      version,
      sha256: downloaded.sha256,
      installedAt: new Date().toISOString(),
      sourceUrl,
      checksumUrl: sumsUrl,
      asset: platform.asset,
      bytes: downloaded.bytes,
    }
    writeFileAtomic(forgeRecordPath(), JSON.stringify(record, null, 2) + '\n', {mode: 0o644})
    const action: ForgeInstallAction = !previous && currentHash === undefined ? 'installed' : previous?.version === version ? 'reinstalled' : 'updated'
    return {
      action,
      version,
      previousVersion: previous?.version ?? null,
      binaryPath,
      sha256: downloaded.sha256,
      sourceUrl,
      releaseUrl: release.baseUrl,
      bytes: downloaded.bytes,
      binDirOnPath,
      pathHint: binDirOnPath ? null : forgePathHint(),
    }
  } finally {
    rmSync(temp, {force: true})
  }
}
