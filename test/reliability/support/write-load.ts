import {randomBytes} from 'node:crypto'

export interface AckedWrite {
  id: string
  content: string
  agentId: string
  client: number
}

export interface WriteLoadResult {
  acked: AckedWrite[]
  /** Answers other than 2xx, by `status code` (e.g. `507 disk_full`). */
  refusals: Map<string, number>
  /** Requests that got no answer at all (connection refused/reset). */
  unanswered: number
  sent: number
}

export interface WriteLoadOptions {
  url: string
  clients: number
  /** Headers for one client (e.g. its API key). */
  headers?: (client: number) => Record<string, string>
  agentId?: (client: number) => string | undefined
  /** Characters of filler per memory, to fill a disk faster. */
  padding?: number
  /** A client stops after its first unanswered request (the daemon was killed). */
  stopWhenUnanswered?: boolean
}

export interface WriteLoad {
  result: WriteLoadResult
  /** Resolves when every client has stopped (after stop() or, with stopWhenUnanswered, the daemon died). */
  done: Promise<WriteLoadResult>
  stop(): Promise<WriteLoadResult>
  /** Resolves once at least n writes were acknowledged. */
  ackedAtLeast(n: number): Promise<void>
}

/**
 * Several clients remembering unique memories back to back. Only a 2xx answer counts as
 * acknowledged: those are the writes the daemon promised to keep.
 */
export function startWriteLoad(options: WriteLoadOptions): WriteLoad {
  const result: WriteLoadResult = {acked: [], refusals: new Map(), unanswered: 0, sent: 0}
  const run = randomBytes(4).toString('hex')
  const padding = options.padding
    ? ' ' +
      'lorem ipsum dolor '
        .repeat(Math.ceil(options.padding / 18))
        .slice(0, options.padding)
        .trimEnd()
    : ''
  let stopped = false
  const waiters: Array<{n: number; resolve: () => void}> = []
  const client = async (index: number) => {
    for (let n = 0; !stopped; n++) {
      const agentId = options.agentId?.(index)
      const content = `durability run ${run} client ${index} write ${n} token ${randomBytes(6).toString('hex')}${padding}`
      result.sent++
      try {
        const response = await fetch(`${options.url}/api/memory/remember`, {
          method: 'POST',
          headers: {'content-type': 'application/json', ...options.headers?.(index)},
          body: JSON.stringify({content, agentId, idempotencyKey: `${run}-${index}-${n}`}),
          signal: AbortSignal.timeout(15_000),
        })
        const body = (await response.json().catch(() => ({}))) as {id?: string; code?: string}
        if (response.ok && body.id) {
          result.acked.push({id: body.id, content, agentId: agentId ?? 'default', client: index})
          for (const waiter of waiters.splice(0)) {
            if (result.acked.length >= waiter.n) waiter.resolve()
            else waiters.push(waiter)
          }
        } else {
          const key = `${response.status} ${body.code ?? ''}`.trim()
          result.refusals.set(key, (result.refusals.get(key) ?? 0) + 1)
        }
      } catch {
        result.unanswered++
        if (options.stopWhenUnanswered) return
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }
  const done = Promise.all(Array.from({length: options.clients}, (_, i) => client(i))).then(() => result)
  return {
    result,
    done,
    stop: async () => {
      stopped = true
      return done
    },
    ackedAtLeast: (n) => (result.acked.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({n, resolve}))),
  }
}
