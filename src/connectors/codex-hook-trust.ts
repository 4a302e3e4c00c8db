import {spawn} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import path from 'node:path'

/**
 * Codex runs a user's hooks only once they are trusted (`[hooks.state."<key>"] trusted_hash`);
 * untrusted hooks are skipped silently. The hash is Codex's own business, so we ask the
 * installed Codex for it (`codex app-server`, method `hooks/list`) instead of computing it —
 * the same thing approving the hooks under /hooks does.
 */

export interface CodexHookListing {
  key: string
  eventName: string
  command: string
  currentHash: string
  trustStatus: string
  sourcePath: string
}

/** An executable named `name` on the PATH of `env`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // keep looking
    }
  }
  return undefined
}

/** The hooks the installed Codex sees for `cwd`, or undefined when it cannot tell us (never throws). */
export function listCodexHooks(codex: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<CodexHookListing[] | undefined> {
  return new Promise((resolve) => {
    let settled = false
    let buffer = ''
    const child = spawn(codex, ['app-server'], {cwd, env, stdio: ['pipe', 'pipe', 'ignore']})
    const finish = (value: CodexHookListing[] | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill()
      resolve(value)
    }
    const timer = setTimeout(() => finish(undefined), timeoutMs)
    child.on('error', () => finish(undefined))
    child.on('close', () => finish(undefined))
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      let newline = buffer.indexOf('\n')
      while (newline !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        let message: {id?: number; result?: {data?: Array<{hooks?: CodexHookListing[]}>}; error?: unknown}
        try {
          message = JSON.parse(line)
        } catch {
          continue
        }
        if (message.id !== 2) continue
        finish(message.error ? undefined : (message.result?.data ?? []).flatMap((entry) => entry.hooks ?? []))
      }
    })
    child.stdin.on('error', () => finish(undefined))
    child.stdin.write(
      [
        {id: 1, method: 'initialize', params: {clientInfo: {name: 'signet', version: '1'}}},
        {method: 'initialized'},
        {id: 2, method: 'hooks/list', params: {cwds: [cwd]}},
      ]
        .map((message) => JSON.stringify(message))
        .join('\n') + '\n',
    )
  })
}

/** Codex's key for a hook in a hooks.json: `<file>:<snake_event>:<group>:<handler>`. */
export function codexHookKey(hooksFile: string, harnessEvent: string, groupIndex: number, handlerIndex: number): string {
  const event = harnessEvent.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
  return `${hooksFile}:${event}:${groupIndex}:${handlerIndex}`
}
