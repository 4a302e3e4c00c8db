import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {startServer, type RunningServer} from '../../src/daemon/server.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {runHook} from './support/run-hook.js'
import {sqliteDatabaseOf} from '../helpers/daemon.js'

let temp: TempHome
let port: number
let env: NodeJS.ProcessEnv
let server: RunningServer | undefined

beforeEach(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  port = await freePort()
  // No SIGNET_DAEMON_URL: the hook and `signet sync` use the workspace daemon's socket. SIGNET_PORT
  // (ignored by local clients now) keeps an older build from reaching for the default port.
  env = {...temp.env, SIGNET_PORT: String(port)}
})

afterEach(async () => {
  await server?.close()
  server = undefined
  temp.cleanup()
})

const spoolDir = () => path.join(temp.home, '.config', 'signet', 'spool')
const pending = () => readdirSync(spoolDir()).filter((name) => name.endsWith('.json'))

async function spoolSessionEnds(count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const transcript = JSON.stringify({
      messages: [
        {role: 'user', content: `Remember that the spool test ${index} uses the heron queue.`},
        {role: 'assistant', content: 'ok'},
      ],
    })
    const run = await runHook(['session-end', '-H', 'generic'], {env, input: JSON.stringify({sessionKey: `sync-${index}`, cwd: temp.home, transcript})})
    expect(run.code).toBe(0)
  }
}

describe('signet sync', () => {
  it('fails with one actionable line while the daemon is down, then delivers everything exactly once', async () => {
    await spoolSessionEnds(3)
    expect(pending()).toHaveLength(3)

    const down = await runCli(['sync'], {env})
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(
      /could not deliver 3 spooled write\(s\) to unix:\S+signet\.sock: the daemon for this workspace is not running \(ENOENT\) — start the daemon/,
    )
    expect(pending()).toHaveLength(3)

    server = await startServer({workspace: temp.workspace, port})
    const up = await runCli(['sync', '--json'], {env})
    expect(up.code).toBe(0)
    expect(JSON.parse(up.stdout)).toMatchObject({delivered: 3, rejected: 0, remaining: 0})
    expect(pending()).toHaveLength(0)
    const rows = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key LIKE 'sync-%'").get() as {n: number}
    expect(rows.n).toBe(3)
    const memories = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM memories WHERE content LIKE '%heron queue%'").get() as {n: number}
    expect(memories.n).toBe(3)

    const again = await runCli(['sync'], {env})
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/Nothing to sync/)
  })

  it('two replays at once never deliver the same entry twice, and a corrupt entry is set aside', async () => {
    await spoolSessionEnds(4)
    writeFileSync(path.join(spoolDir(), '00000000000001-corrupt.json'), '{not json')
    server = await startServer({workspace: temp.workspace, port})
    const {replaySpool} = await import('../../src/hooks/spool.js')
    const saved = process.env.HOME
    process.env.HOME = temp.home
    try {
      const {localDaemonEndpoint} = await import('../../src/client/daemon-endpoint.js')
      const target = localDaemonEndpoint(temp.workspace)
      const reports = await Promise.all([replaySpool(target, {deadline: Date.now() + 10_000}), replaySpool(target, {deadline: Date.now() + 10_000})])
      expect(reports[0].delivered + reports[1].delivered).toBe(4)
      expect(reports[0].rejected + reports[1].rejected).toBe(1)
    } finally {
      process.env.HOME = saved
    }
    expect(pending()).toHaveLength(0)
    expect(readdirSync(path.join(spoolDir(), 'rejected'))).toEqual(['00000000000001-corrupt.json'])
    const rows = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key LIKE 'sync-%'").get() as {n: number}
    expect(rows.n).toBe(4)
  })

  it('a claim left by a killed hook goes back to the queue', async () => {
    await spoolSessionEnds(1)
    const [name] = pending()
    // As if a hook claimed the entry three minutes ago and was then killed.
    const staleClaim = `${name}.claim-999999-${Date.now() - 180_000}`
    mkdirSync(spoolDir(), {recursive: true})
    const {renameSync} = await import('node:fs')
    renameSync(path.join(spoolDir(), name), path.join(spoolDir(), staleClaim))
    expect(pending()).toHaveLength(0)
    server = await startServer({workspace: temp.workspace, port})
    const up = await runCli(['sync', '--json'], {env})
    expect(JSON.parse(up.stdout)).toMatchObject({delivered: 1, remaining: 0})
    expect(readdirSync(spoolDir()).filter((entry) => entry !== 'rejected')).toEqual([])
  })

  it('an entry spooled for one daemon is only ever replayed to that daemon; the others wait for theirs', async () => {
    // Spooled for this workspace's daemon (down), and for a remote daemon with a key (unreachable).
    await spoolSessionEnds(1)
    const remoteEnv = {...env, SIGNET_DAEMON_URL: `http://127.0.0.1:${await freePort()}`, SIGNET_API_KEY: `sig_sk_0123456789ab_${'r'.repeat(43)}`}
    const remoteTranscript = JSON.stringify({messages: [{role: 'user', content: 'Remember that the remote spool entry uses the osprey queue.'}]})
    expect(
      (
        await runHook(['session-end', '-H', 'generic'], {
          env: remoteEnv,
          input: JSON.stringify({sessionKey: 'remote-1', cwd: temp.home, transcript: remoteTranscript}),
        })
      ).code,
    ).toBe(0)
    expect(pending()).toHaveLength(2)

    // Another workspace's daemon comes up, on this machine, for the same user.
    const other = path.join(temp.home, 'other-workspace')
    initWorkspace(other)
    // On the very port this machine's clients used to dial (SIGNET_PORT): only the target decides.
    server = await startServer({workspace: other, port})
    const otherEnv = {...env, SIGNET_WORKSPACE: other}
    const sync = await runCli(['sync', '--json'], {env: otherEnv})
    expect(sync.code, sync.stderr).toBe(0)
    expect(JSON.parse(sync.stdout)).toMatchObject({delivered: 0, remaining: 0, forOtherDaemons: 2})
    const human = await runCli(['sync'], {env: otherEnv})
    expect(human.stdout).toMatch(/2 spooled write\(s\) wait for another daemon/)
    // A hook call that succeeds against it does not hand it the entries either.
    expect(
      (
        await runHook(['user-prompt-submit', '-H', 'generic'], {
          env: otherEnv,
          input: JSON.stringify({sessionKey: 'other-1', cwd: temp.home, prompt: 'anything about queues?'}),
        })
      ).code,
    ).toBe(0)
    const foreign = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key IN ('sync-0', 'remote-1')").get() as {
      n: number
    }
    expect(foreign.n).toBe(0)
    expect(pending()).toHaveLength(2)
    await server.close()

    // Its own daemon takes its own entry; the remote one still waits.
    server = await startServer({workspace: temp.workspace, port: 0})
    const own = await runCli(['sync', '--json'], {env})
    expect(JSON.parse(own.stdout)).toMatchObject({delivered: 1, remaining: 0, forOtherDaemons: 1})
    const mine = sqliteDatabaseOf(server).prepare("SELECT session_key FROM session_transcripts WHERE session_key IN ('sync-0', 'remote-1')").all() as Array<{
      session_key: string
    }>
    expect(mine.map((row) => row.session_key)).toEqual(['sync-0'])
    expect(pending()).toHaveLength(1)
  })

  it('spool directory and entries are readable by their owner only', async () => {
    await spoolSessionEnds(1)
    const {statSync} = await import('node:fs')
    expect(statSync(spoolDir()).mode & 0o777).toBe(0o700)
    for (const name of pending()) expect(statSync(path.join(spoolDir(), name)).mode & 0o777).toBe(0o600)
  })
})
