import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {
  clearStoredCredentials,
  credentialsFilePath,
  resolveCredentials,
  resolveStoredCredentials,
  saveCredentials,
  storedConnectionSync,
} from '../../src/credentials/credential-store.js'
import {type Keychain, loadKeychain} from '../../src/credentials/keychain.js'

const KEY = 'sig_sk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

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
  getPassword: async () => { throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY') },
  setPassword: async () => { throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY') },
  deletePassword: async () => { throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY') },
}

let home: string
const saved = {...process.env}

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'signet-cred-'))
  process.env.HOME = home
  for (const name of ['XDG_CONFIG_HOME', 'SIGNET_DAEMON_URL', 'SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_AGENT_ID']) delete process.env[name]
})

afterEach(() => {
  process.env = {...saved}
  rmSync(home, {recursive: true, force: true})
})

describe('credential store', () => {
  it('without a usable keychain, keeps the key in ~/.config/signet/credentials.json at mode 0600', async () => {
    const result = await saveCredentials({daemonUrl: 'https://daemon.example:3850/', apiKey: KEY, agentId: 'pi-laptop'}, {keychain: null})
    expect(result.apiKeyStorage).toBe('file')
    expect(result.file).toBe(path.join(home, '.config', 'signet', 'credentials.json'))
    expect(statSync(result.file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(result.file)).mode & 0o777).toBe(0o700)
    const stored = await resolveStoredCredentials({keychain: null})
    expect(stored).toEqual({daemonUrl: 'https://daemon.example:3850', apiKey: KEY, agentId: 'pi-laptop', apiKeyStorage: 'file'})
  })

  it('falls back silently when keytar is missing or the keychain throws', async () => {
    // keytar is an optional dependency and is not installed on this headless machine
    expect(await loadKeychain()).toBeNull()
    const result = await saveCredentials({daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: brokenKeychain})
    expect(result.apiKeyStorage).toBe('file')
    expect((await resolveStoredCredentials({keychain: brokenKeychain}))?.apiKey).toBe(KEY)
  })

  it('with a keychain, the key is only in the keychain — the file holds the URL and where the key is', async () => {
    const keychain = memoryKeychain()
    const result = await saveCredentials({daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain})
    expect(result.apiKeyStorage).toBe('keychain')
    expect(readFileSync(credentialsFilePath(), 'utf8')).not.toContain(KEY)
    expect(keychain.entries.get('signet/http://10.0.0.5:3850')).toBe(KEY)
    expect((await resolveStoredCredentials({keychain}))?.apiKey).toBe(KEY)
    // moving to another daemon drops the old keychain entry: one copy of a key at most
    await saveCredentials({daemonUrl: 'http://10.0.0.6:3850', apiKey: KEY}, {keychain})
    expect([...keychain.entries.keys()]).toEqual(['signet/http://10.0.0.6:3850'])
    await clearStoredCredentials({keychain})
    expect(keychain.entries.size).toBe(0)
    expect(await resolveStoredCredentials({keychain})).toBeUndefined()
  })

  it('respects XDG_CONFIG_HOME', async () => {
    process.env.XDG_CONFIG_HOME = path.join(home, 'xdg')
    const result = await saveCredentials({daemonUrl: 'http://127.0.0.1:3850', apiKey: KEY}, {keychain: null})
    expect(result.file).toBe(path.join(home, 'xdg', 'signet', 'credentials.json'))
  })

  it('refuses a URL with a path or credentials instead of storing it', async () => {
    await expect(saveCredentials({daemonUrl: 'https://h:3850/api', apiKey: KEY}, {keychain: null})).rejects.toThrow(/bare origin/)
    await expect(saveCredentials({daemonUrl: 'https://u:p@h:3850', apiKey: KEY}, {keychain: null})).rejects.toThrow(/credentials/)
  })

  it('resolves env first (SIGNET_TOKEN is an alias), then the stored connection — never a stored key for another daemon', async () => {
    await saveCredentials({daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY, agentId: 'stored-agent'}, {keychain: null})
    expect(await resolveCredentials({}, {keychain: null})).toEqual({
      url: 'http://10.0.0.5:3850', apiKey: KEY, agentId: 'stored-agent', source: {url: 'stored', apiKey: 'file'},
    })
    expect((await resolveCredentials({SIGNET_TOKEN: 'sig_sk_env'}, {keychain: null})).apiKey).toBe('sig_sk_env')
    expect((await resolveCredentials({SIGNET_API_KEY: 'sig_sk_a', SIGNET_TOKEN: 'sig_sk_b'}, {keychain: null})).apiKey).toBe('sig_sk_a')
    const other = await resolveCredentials({SIGNET_DAEMON_URL: 'http://10.9.9.9:3850'}, {keychain: null})
    expect(other).toEqual({url: 'http://10.9.9.9:3850', apiKey: undefined, agentId: undefined, source: {url: 'env', apiKey: 'none'}})
    expect((await resolveCredentials({SIGNET_DAEMON_URL: 'http://10.0.0.5:3850'}, {keychain: null})).apiKey).toBe(KEY)
    expect(storedConnectionSync('http://10.9.9.9:3850')).toBeUndefined()
    expect(storedConnectionSync()?.apiKey).toBe(KEY)
  })

  it('treats a damaged credentials file as absent (hooks must never crash on it)', async () => {
    await saveCredentials({daemonUrl: 'http://10.0.0.5:3850', apiKey: KEY}, {keychain: null})
    writeFileSync(credentialsFilePath(), '{"version": 1, "daemonUrl": 5')
    expect(await resolveStoredCredentials({keychain: null})).toBeUndefined()
    expect(storedConnectionSync()).toBeUndefined()
  })
})
