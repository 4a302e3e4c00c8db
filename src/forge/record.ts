import {readFileSync} from 'node:fs'
import path from 'node:path'

import {userConfigDir} from '../config/paths.js'

// Where the managed Forge binary and its install record live: read by `signet status` and doctor,
// so kept apart from the installer (node:crypto, downloads) that those never need.

/** What `forge install` leaves next to the binary so status/doctor/update know what is there. */
export interface ForgeInstallRecord {
  version: string
  sha256: string
  installedAt: string
  sourceUrl: string
  checksumUrl: string
  asset: string
  bytes: number
}

export function forgeBinDir(): string {
  return path.join(userConfigDir(), 'bin')
}

export function managedForgePath(): string {
  return path.join(forgeBinDir(), 'forge')
}

export function forgeRecordPath(): string {
  return path.join(forgeBinDir(), '.forge-install.json')
}

export function readForgeRecord(): ForgeInstallRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(forgeRecordPath(), 'utf8')) as ForgeInstallRecord
    return typeof record.version === 'string' && typeof record.sha256 === 'string' ? record : undefined
  } catch {
    return undefined
  }
}

/** The line to add to a shell profile; Signet never edits profiles itself. */
export function forgePathHint(): string {
  return `export PATH="${forgeBinDir()}:$PATH"`
}
