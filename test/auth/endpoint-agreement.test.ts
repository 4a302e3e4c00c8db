import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {DaemonEndpoint} from '../../src/client/daemon-endpoint.js'
import {resolveDaemonEndpoint} from '../../src/client/resolve-endpoint.js'
import {saveCredentials} from '../../src/credentials/credential-store.js'
import {resolveHookEndpoint} from '../../src/hooks/endpoint.js'
import {useTempHomeInProcess} from '../helpers/temp-home.js'

// The CLI (and MCP server) and the hook must send a request to the same daemon with the same key
// for the same environment: one resolver, two ways of reading the saved connection.

const ENV_KEYS = [
  'SIGNET_API_KEY',
  'SIGNET_TOKEN',
  'SIGNET_DAEMON_URL',
  'SIGNET_PORT',
  'SIGNET_WORKSPACE',
  'SIGNET_PATH',
  'SIGNET_AGENT_ID',
  'SIGNET_NO_KEYCHAIN',
  'XDG_CONFIG_HOME',
  'HOME',
]
const temp = useTempHomeInProcess(ENV_KEYS)

/** What decides where a request goes and what it proves (the URL only names a socket-dialled daemon). */
function target(endpoint: DaemonEndpoint): Record<string, unknown> {
  return {
    dials: endpoint.socketPath ?? (endpoint.unreachable ? 'nothing' : endpoint.url),
    url: endpoint.socketPath || endpoint.unreachable ? undefined : endpoint.url,
    apiKey: endpoint.apiKey,
    unreachable: Boolean(endpoint.unreachable),
    urlSource: endpoint.urlSource,
  }
}

async function expectAgreement(workspace: string, harness?: string): Promise<DaemonEndpoint> {
  const cli = resolveDaemonEndpoint({workspace, harness})
  const hook = await resolveHookEndpoint({workspaceFlag: workspace, harness})
  expect(target(hook)).toEqual(target(cli))
  return cli
}

function recordRunningDaemon(workspace: string, url: string): void {
  mkdirSync(path.join(workspace, '.daemon'), {recursive: true})
  writeFileSync(path.join(workspace, '.daemon/daemon.json'), JSON.stringify({url, pid: process.pid}))
  writeFileSync(path.join(workspace, '.daemon/admin.token'), `sig_at_${'x'.repeat(43)}\n`, {mode: 0o600})
}

describe('the CLI and the hook resolve the same endpoint', () => {
  it('local workspace daemon: its socket, with or without an env key, whatever SIGNET_PORT says', async () => {
    recordRunningDaemon(temp().workspace, 'http://127.0.0.1:45999')
    expect(await expectAgreement(temp().workspace)).toMatchObject({socketPath: path.join(temp().workspace, '.daemon/signet.sock'), urlSource: 'workspace'})
    process.env.SIGNET_API_KEY = 'sig_sk_env'
    expect((await expectAgreement(temp().workspace)).apiKey).toBe('sig_sk_env')
    process.env.SIGNET_PORT = '4100'
    await expectAgreement(temp().workspace)
  })

  it('a daemon that is down: both dial its socket; a bad SIGNET_PORT only changes the name the CLI shows', async () => {
    process.env.SIGNET_PORT = 'not-a-port'
    const cli = await expectAgreement(temp().workspace)
    expect(cli.url).toBe('http://127.0.0.1:3850')
    process.env.SIGNET_PORT = '4100'
    expect((await expectAgreement(temp().workspace)).url).toBe('http://127.0.0.1:4100')
    expect((await resolveHookEndpoint({workspaceFlag: temp().workspace})).url).toBe(`unix:${path.join(temp().workspace, '.daemon/signet.sock')}`)
  })

  it('a socket path too long for the platform: the admin token to the live recorded daemon', async () => {
    const workspace = path.join(temp().home, 'a'.repeat(120))
    recordRunningDaemon(workspace, 'http://127.0.0.1:45999')
    expect(await expectAgreement(workspace)).toMatchObject({url: 'http://127.0.0.1:45999', apiKey: `sig_at_${'x'.repeat(43)}`})
    writeFileSync(path.join(workspace, '.daemon/daemon.json'), JSON.stringify({url: 'http://127.0.0.1:45999', pid: 2 ** 22 + 7}))
    expect((await expectAgreement(workspace)).unreachable).toMatch(/not running/)
  })

  it('env URL and key; env URL with the key saved for it; a saved connection; a keyless saved one', async () => {
    process.env.SIGNET_DAEMON_URL = 'http://192.0.2.10:3850'
    process.env.SIGNET_TOKEN = 'sig_sk_token'
    expect(await expectAgreement(temp().workspace)).toMatchObject({url: 'http://192.0.2.10:3850', apiKey: 'sig_sk_token', urlSource: 'env'})
    delete process.env.SIGNET_TOKEN

    await saveCredentials({harness: 'codex', daemonUrl: 'http://192.0.2.10:3850', apiKey: 'sig_sk_saved', agentId: 'coder'}, {keychain: null})
    expect(await expectAgreement(temp().workspace, 'codex')).toMatchObject({apiKey: 'sig_sk_saved', urlSource: 'env'})
    process.env.SIGNET_DAEMON_URL = 'http://192.0.2.99:3850'
    expect((await expectAgreement(temp().workspace, 'codex')).apiKey).toBeUndefined()
    delete process.env.SIGNET_DAEMON_URL
    expect(await expectAgreement(temp().workspace, 'codex')).toMatchObject({url: 'http://192.0.2.10:3850', apiKey: 'sig_sk_saved', urlSource: 'credentials'})

    await saveCredentials({harness: 'gemini', daemonUrl: 'http://192.0.2.10:3850', agentId: 'reviewer'}, {keychain: null})
    const keyless = await expectAgreement(temp().workspace, 'gemini')
    expect(keyless).toMatchObject({socketPath: path.join(temp().workspace, '.daemon/signet.sock'), agentId: 'reviewer'})
    expect((await resolveHookEndpoint({workspaceFlag: temp().workspace, harness: 'gemini'})).agentId).toBe('reviewer')
  })
})
