export interface SseEvent {
  id?: string
  event?: string
  data: string
}

export interface SseStream {
  /** The next event (after those already consumed) matching `predicate`; rejects after `timeoutMs`. */
  next(predicate?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  waitForComment(text: string, timeoutMs?: number): Promise<void>
  /** Resolves true once the server ended the response. */
  ended: Promise<boolean>
  close(): void
}

/** A minimal Server-Sent Events reader over fetch, for tests and the bench. */
export async function openStream(url: string, headers: Record<string, string>): Promise<SseStream> {
  const abort = new AbortController()
  const response = await fetch(url, {headers: {accept: 'text/event-stream', ...headers}, signal: abort.signal})
  if (!response.ok || !response.body) throw new Error(`stream refused: ${response.status} ${await response.text()}`)
  const events: SseEvent[] = []
  const comments: string[] = []
  let wake: (() => void) | undefined
  let resolveEnded: (value: boolean) => void = () => undefined
  const ended = new Promise<boolean>((resolve) => (resolveEnded = resolve))
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, {stream: true})
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: SseEvent = {data: ''}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments.push(line.slice(1).trim())
              continue
            }
            const colon = line.indexOf(':')
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === 'id') event.id = value
            else if (field === 'event') event.event = value
            else if (field === 'data') event.data += (event.data ? '\n' : '') + value
          }
          if (event.event || event.data) events.push(event)
          wake?.()
        }
      }
      resolveEnded(true)
    } catch {
      resolveEnded(false)
    }
    wake?.()
  })()
  const waitFor = async <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = find()
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (got ${JSON.stringify(events)})`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }
  let consumed = 0
  return {
    next(predicate = () => true, timeoutMs = 5000) {
      return waitFor(
        () => {
          while (consumed < events.length) {
            const event = events[consumed++]
            if (predicate(event)) return event
          }
          return undefined
        },
        timeoutMs,
        'matching event',
      )
    },
    async waitForComment(text, timeoutMs = 5000) {
      await waitFor(() => (comments.includes(text) ? true : undefined), timeoutMs, `comment ${text}`)
    },
    ended,
    close: () => abort.abort(),
  }
}
