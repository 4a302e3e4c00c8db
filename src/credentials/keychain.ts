/**
 * The OS keychain through `keytar` (an optional dependency). keytar is loaded lazily and only
 * when needed; a missing module, a missing native library or a keychain that cannot be reached
 * (no D-Bus session on headless Linux) all mean "no keychain" — callers fall back to the file.
 */

export const KEYCHAIN_SERVICE = 'signet'

/** The three calls Signet needs; `keytar` provides them, tests may pass their own. */
export interface Keychain {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
}

let loaded: Promise<Keychain | null> | undefined

/** keytar, or null when this machine has no usable keychain module. */
export function loadKeychain(): Promise<Keychain | null> {
  if (process.env.SIGNET_NO_KEYCHAIN === '1') return Promise.resolve(null)
  loaded ??= (async () => {
    try {
      // a variable specifier keeps tsc from requiring keytar's types when it is not installed
      const specifier = 'keytar'
      const module = (await import(specifier)) as {default?: Keychain} & Partial<Keychain>
      const keytar = (module.default ?? module) as Keychain
      return typeof keytar.getPassword === 'function' ? keytar : null
    } catch {
      return null
    }
  })()
  return loaded
}

/** Read a secret; any keychain failure is "not there". */
export async function keychainGet(keychain: Keychain | null, account: string): Promise<string | undefined> {
  if (!keychain) return undefined
  try {
    return (await keychain.getPassword(KEYCHAIN_SERVICE, account)) ?? undefined
  } catch {
    return undefined
  }
}

/** Store a secret; false when the keychain refused (locked, no session bus…). */
export async function keychainSet(keychain: Keychain | null, account: string, secret: string): Promise<boolean> {
  if (!keychain) return false
  try {
    await keychain.setPassword(KEYCHAIN_SERVICE, account, secret)
    return (await keychain.getPassword(KEYCHAIN_SERVICE, account)) === secret
  } catch {
    return false
  }
}

export async function keychainDelete(keychain: Keychain | null, account: string): Promise<void> {
  if (!keychain) return
  try {
    await keychain.deletePassword(KEYCHAIN_SERVICE, account)
  } catch {
    // nothing to clean up
  }
}
