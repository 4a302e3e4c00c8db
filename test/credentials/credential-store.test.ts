import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {
  clearStoredCredentials,
  credentialsFilePath,
  removeStoredCredentials,
  resolveCredentials,
  resolveStoredCredentials,
  saveCredentials,
  storedConnectionSync,
} from '../../src/credentials/credential-store.js'
import {type Keychain, loadKeychain} from '../../src/credentials/keychain.js'

const KEY = 'sig_sk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const OTHER_KEY = 'sig_sk_ba9876543210_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'

/** An OS keychain stand-in with the same three calls keytar exposes. */
function memoryKeychain(): Keychain & {entries: Map<string, string>} {
  const entries = new Map<string, string>()
  return {
    entries,
    getPassword: async (service, account) => entries.get(`${service}/${account}`) ?? null,
    setPassword: async (service, account, password) => void entries.set(`${service}/${account}`, password),
    deletePassword: async (service, account) => entries.delete(`${service}/${account}`),
  }
}

/** A keychain that exists but cannot be reached (what keytar does with no D-Bus session). */
const brokenKeychain: Keychain = {
  getPassword: async () => {
    throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')
  },
  setPassword: async () => {
    throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')
  },
  deletePassword: async () => {
    throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')
  },
}

let home: string
const saved = {...process.env}

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'signet-cred-'))
  process.env.HOME = home
  for (const name of ['XDG_CONFIG_HOME', 'SIGNET_DAEMON_URL', 'SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_AGENT_ID']) delete process.env[name]
})

afterEach(() => {
  // Restored key by key: assigning a new object to process.env detaches it from the real
  // environment, and os.homedir() (which reads the real HOME) would then stay on the first test's HOME.
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
  Object.assign(process.env, saved)
  rmSync(home, {recursive: true, force: true})
})

describe('credential store', () => {
  it('without a usable keychain, keeps the key in ~/.config/signet/credentials.json at mode 0600', async () => {
    const result = await saveCredentials({harness: 'pi', daemonUrl: 'https://daemon.example:3850/', apiKey: KEY, agentId: 'pi-laptop'}, {keychain: null})
    expect(result.apiKeyStorage).toBe('file')
    expect(result.file).toBe(path.join(home, '.config', 'signet', 'credentials.json'))
    expect(statSync(result.file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(result.file)).mode & 0o777).toBe(0o700)
    const stored = await resolveStoredCredentials({harness: 'pi', keychain: null})
    expect(stored).toEqual({daemonUrl: 'https://daemon.example:3850', apiKey: KEY, agentId: 'pi-laptop', apiKeyStorage: 'file', harness: 'pi'})
  })

  it('falls back silently when keytar is missing or the keychain throws', async () => {
    // keytar is an optional dependency and is not installed on this headless machine
    expect(await loadKeychain()).toBeNull()
    const result = await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: brokenKeychain})
    expect(result.apiKeyStorage).toBe('file')
    expect((await resolveStoredCredentials({harness: 'codex', keychain: brokenKeychain}))?.apiKey).toBe(KEY)
  })

  it('without a harness, the entry saved last wins even when two saves share a millisecond', async () => {
    vi.useFakeTimers({toFake: ['Date']})
    try {
      vi.setSystemTime(new Date('2026-11-29T10:00:00.000Z'))
      await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: null})
      await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.7:3850', apiKey: OTHER_KEY}, {keychain: null})
      expect(storedConnectionSync()?.apiKey).toBe(OTHER_KEY)
      // saving codex again makes it the most recent one, even at the same timestamp
      await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: null})
      expect(storedConnectionSync()?.apiKey).toBe(KEY)
      expect((await resolveStoredCredentials({keychain: null}))?.harness).toBe('codex')
    } finally {
      vi.useRealTimers()
    }
  })

  it('with a keychain, the key is only in the keychain, under an account of its own per harness', async () => {
    const keychain = memoryKeychain()
    const result = await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain})
    expect(result.apiKeyStorage).toBe('keychain')
    expect(readFileSync(credentialsFilePath(), 'utf8')).not.toContain(KEY)
    expect(keychain.entries.get('signet/codex@http://10.0.0.5:3850')).toBe(KEY)
    expect((await resolveStoredCredentials({harness: 'codex', keychain}))?.apiKey).toBe(KEY)
    await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.5:3850', apiKey: OTHER_KEY}, {keychain})
    // moving codex to another daemon drops its old keychain item: one copy of a key at most
    await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.6:3850', apiKey: KEY}, {keychain})
    expect([...keychain.entries.keys()].sort()).toEqual(['signet/codex@http://10.0.0.6:3850', 'signet/pi@http://10.0.0.5:3850'])
    expect(await removeStoredCredentials('codex', {keychain})).toBe(true)
    expect([...keychain.entries.keys()]).toEqual(['signet/pi@http://10.0.0.5:3850'])
    await clearStoredCredentials({keychain})
    expect(keychain.entries.size).toBe(0)
    expect(await resolveStoredCredentials({harness: 'pi', keychain})).toBeUndefined()
  })

  it("keeps one entry per harness: connecting a second harness never replaces the first one's URL or key", async () => {
    await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY, agentId: 'codex-laptop'}, {keychain: null})
    await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.7:3850', apiKey: OTHER_KEY}, {keychain: null})
    expect(await resolveStoredCredentials({harness: 'codex', keychain: null})).toMatchObject({
      daemonUrl: 'http://10.0.0.5:3850',
      apiKey: KEY,
      agentId: 'codex-laptop',
    })
    expect(await resolveStoredCredentials({harness: 'pi', keychain: null})).toMatchObject({daemonUrl: 'http://10.0.0.7:3850', apiKey: OTHER_KEY})
    expect(storedConnectionSync(undefined, 'codex')?.apiKey).toBe(KEY)
    expect(storedConnectionSync(undefined, 'pi')?.apiKey).toBe(OTHER_KEY)
    // a harness with no entry of its own gets nothing: never another harness's key
    expect(await resolveStoredCredentials({harness: 'gemini', keychain: null})).toBeUndefined()
    expect(storedConnectionSync(undefined, 'gemini')).toBeUndefined()
    // a command acting for no harness uses the most recently saved entry
    expect(storedConnectionSync()?.apiKey).toBe(OTHER_KEY)

    // uninstalling one harness forgets only its entry
    expect(await removeStoredCredentials('pi', {keychain: null})).toBe(true)
    expect(await removeStoredCredentials('pi', {keychain: null})).toBe(false)
    expect(await resolveStoredCredentials({harness: 'pi', keychain: null})).toBeUndefined()
    expect((await resolveStoredCredentials({harness: 'codex', keychain: null}))?.apiKey).toBe(KEY)
    expect(statSync(credentialsFilePath()).mode & 0o777).toBe(0o600)
    // the last entry takes the file with it
    expect(await removeStoredCredentials('codex', {keychain: null})).toBe(true)
    expect(existsSync(credentialsFilePath())).toBe(false)
  })

  it('migrates a single-entry file on first read: rewritten per harness at 0600, its entry the default every harness still uses', async () => {
    const file = credentialsFilePath()
    mkdirSync(path.dirname(file), {recursive: true})
    const legacy = {version: 1, daemonUrl: 'http://10.0.0.5:3850', agentId: 'laptop', apiKeyStorage: 'file', apiKey: KEY, savedAt: '2026-01-02T03:04:05.000Z'}
    writeFileSync(file, JSON.stringify(legacy, null, 2), {mode: 0o644})

    // still working, for every harness (none has an entry of its own yet)
    expect(await resolveStoredCredentials({harness: 'codex', keychain: null})).toEqual({
      daemonUrl: 'http://10.0.0.5:3850',
      agentId: 'laptop',
      apiKeyStorage: 'file',
      apiKey: KEY,
    })
    expect(storedConnectionSync(undefined, 'claude-code')?.apiKey).toBe(KEY)
    // and rewritten in the new shape, owner-only
    const migrated = JSON.parse(readFileSync(file, 'utf8'))
    expect(migrated).toEqual({
      version: 2,
      default: {daemonUrl: 'http://10.0.0.5:3850', agentId: 'laptop', apiKeyStorage: 'file', apiKey: KEY, savedAt: '2026-01-02T03:04:05.000Z'},
      harnesses: {},
    })
    expect(statSync(file).mode & 0o777).toBe(0o600)

    // a harness connected afterwards gets its own entry; the default stays for the others
    await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.5:3850', apiKey: OTHER_KEY}, {keychain: null})
    expect((await resolveStoredCredentials({harness: 'pi', keychain: null}))?.apiKey).toBe(OTHER_KEY)
    expect((await resolveStoredCredentials({harness: 'codex', keychain: null}))?.apiKey).toBe(KEY)
    expect(storedConnectionSync()?.apiKey).toBe(KEY)
    expect(await removeStoredCredentials('pi', {keychain: null})).toBe(true)
    expect(JSON.parse(readFileSync(file, 'utf8')).default.apiKey).toBe(KEY)
  })

  it('migrates on first write too, keeping a keychain-held default key under its old account', async () => {
    const keychain = memoryKeychain()
    keychain.entries.set('signet/http://10.0.0.5:3850', KEY)
    const file = credentialsFilePath()
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, JSON.stringify({version: 1, daemonUrl: 'http://10.0.0.5:3850', apiKeyStorage: 'keychain', savedAt: '2026-01-02T03:04:05.000Z'}), {
      mode: 0o600,
    })
    await saveCredentials({harness: 'codex', daemonUrl: 'http://10.0.0.5:3850', apiKey: OTHER_KEY}, {keychain})
    const record = JSON.parse(readFileSync(file, 'utf8'))
    expect(record.version).toBe(2)
    expect(record.default).toMatchObject({daemonUrl: 'http://10.0.0.5:3850', apiKeyStorage: 'keychain'})
    expect(record.harnesses.codex).toMatchObject({apiKeyStorage: 'keychain'})
    expect((await resolveStoredCredentials({harness: 'gemini', keychain}))?.apiKey).toBe(KEY)
    expect((await resolveStoredCredentials({harness: 'codex', keychain}))?.apiKey).toBe(OTHER_KEY)
  })

  it('respects XDG_CONFIG_HOME', async () => {
    process.env.XDG_CONFIG_HOME = path.join(home, 'xdg')
    const result = await saveCredentials({harness: 'pi', daemonUrl: 'http://127.0.0.1:3850', apiKey: KEY}, {keychain: null})
    expect(result.file).toBe(path.join(home, 'xdg', 'signet', 'credentials.json'))
  })

  it('refuses a URL with a path or credentials, and a harness name that is not an id, instead of storing it', async () => {
    await expect(saveCredentials({harness: 'pi', daemonUrl: 'https://h:3850/api', apiKey: KEY}, {keychain: null})).rejects.toThrow(/bare origin/)
    await expect(saveCredentials({harness: 'pi', daemonUrl: 'https://u:p@h:3850', apiKey: KEY}, {keychain: null})).rejects.toThrow(/credentials/)
    await expect(saveCredentials({harness: '__proto__', daemonUrl: 'https://h:3850', apiKey: KEY}, {keychain: null})).rejects.toThrow(/not a harness id/)
  })

  it("resolves env first (SIGNET_TOKEN is an alias), then the harness's stored connection — never a stored key for another daemon", async () => {
    await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY, agentId: 'stored-agent'}, {keychain: null})
    expect(await resolveCredentials({}, {harness: 'pi', keychain: null})).toEqual({
      url: 'http://10.0.0.5:3850',
      apiKey: KEY,
      agentId: 'stored-agent',
      harness: 'pi',
      source: {url: 'stored', apiKey: 'file'},
    })
    expect(await resolveCredentials({}, {harness: 'codex', keychain: null})).toEqual({
      url: undefined,
      apiKey: undefined,
      agentId: undefined,
      source: {url: 'none', apiKey: 'none'},
    })
    expect((await resolveCredentials({SIGNET_TOKEN: 'sig_sk_env'}, {harness: 'pi', keychain: null})).apiKey).toBe('sig_sk_env')
    expect((await resolveCredentials({SIGNET_API_KEY: 'sig_sk_a', SIGNET_TOKEN: 'sig_sk_b'}, {harness: 'pi', keychain: null})).apiKey).toBe('sig_sk_a')
    const other = await resolveCredentials({SIGNET_DAEMON_URL: 'http://10.9.9.9:3850'}, {harness: 'pi', keychain: null})
    expect(other).toEqual({url: 'http://10.9.9.9:3850', apiKey: undefined, agentId: undefined, source: {url: 'env', apiKey: 'none'}})
    expect((await resolveCredentials({SIGNET_DAEMON_URL: 'http://10.0.0.5:3850'}, {harness: 'pi', keychain: null})).apiKey).toBe(KEY)
    expect(storedConnectionSync('http://10.9.9.9:3850', 'pi')).toBeUndefined()
    expect(storedConnectionSync(undefined, 'pi')?.apiKey).toBe(KEY)
  })

  it('treats a damaged credentials file as absent, and a damaged entry as missing (hooks must never crash on it)', async () => {
    await saveCredentials({harness: 'pi', daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: null})
    const file = credentialsFilePath()
    const record = JSON.parse(readFileSync(file, 'utf8'))
    record.harnesses.codex = {daemonUrl: 5}
    record.harnesses.__proto__ = {daemonUrl: 'http://evil:1', apiKeyStorage: 'file', apiKey: 'x'}
    writeFileSync(file, JSON.stringify(record))
    expect((await resolveStoredCredentials({harness: 'pi', keychain: null}))?.apiKey).toBe(KEY)
    expect(await resolveStoredCredentials({harness: 'codex', keychain: null})).toBeUndefined()
    writeFileSync(file, '{"version": 2, "harnesses": 5')
    expect(await resolveStoredCredentials({harness: 'pi', keychain: null})).toBeUndefined()
    expect(storedConnectionSync(undefined, 'pi')).toBeUndefined()
  })
})
