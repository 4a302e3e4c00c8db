import {SignetError} from '../errors.js'

export type ForgeOs = 'darwin' | 'linux'
export type ForgeArch = 'x64' | 'arm64'

export interface ForgePlatform {
  os: ForgeOs
  arch: ForgeArch
  /** Release asset file name for this platform, e.g. `forge-linux-x64`. */
  asset: string
}

const OS_LABEL: Record<string, string> = {darwin: 'macOS', linux: 'Linux', win32: 'Windows', freebsd: 'FreeBSD', openbsd: 'OpenBSD', sunos: 'SunOS', aix: 'AIX'}

export function forgeAssetName(os: ForgeOs, arch: ForgeArch): string {
  return `forge-${os}-${arch}`
}

/**
 * The release asset for this machine. Releases exist for macOS and Linux on x64 and arm64;
 * anything else gets an error that says so instead of a 404 from the release server.
 */
export function detectForgePlatform(platform: string = process.platform, arch: string = process.arch): ForgePlatform {
  const supportedOs = platform === 'darwin' || platform === 'linux'
  const supportedArch = arch === 'x64' || arch === 'arm64'
  if (!supportedOs || !supportedArch) {
    const label = `${OS_LABEL[platform] ?? platform}/${arch}`
    throw new SignetError(
      `Forge releases are built for macOS and Linux on x64 and arm64, not ${label} — ` +
        (platform === 'win32' ? 'run Signet inside WSL to use Forge' : 'build Forge from source for this platform'),
      'unsupported_platform',
    )
  }
  return {os: platform, arch, asset: forgeAssetName(platform, arch)}
}
