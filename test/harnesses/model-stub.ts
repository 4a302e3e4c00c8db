import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * A stand-in for the model APIs (Anthropic Messages, OpenAI Responses and Chat Completions,
 * Gemini generateContent) on loopback. It answers every turn with one short text (or, when asked,
 * one Anthropic tool call) and records
 * each request body, so a test can see exactly what a real harness sent to "the model" — e.g.
 * that a memory recalled by Signet's hook reached the prompt.
 */
export interface ModelStub {
  url: string
  requests: Array<{path: string; body: string}>
  /** Bodies of the requests that asked for a completion (not token counts or model lists). */
  completionBodies(): string[]
  /**
   * Answer the next Anthropic Messages request that offers the tool `name` with one call of it
   * (once), so a real harness runs that tool itself — e.g. Claude Code calling an MCP tool.
   */
  callToolNext(name: string, input: Record<string, unknown>): void
  close(): Promise<void>
}

const REPLY = 'OK from the model stub'

export async function startModelStub(): Promise<ModelStub> {
  const requests: ModelStub['requests'] = []
  let pendingToolCall: {name: string; input: Record<string, unknown>} | undefined
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      requests.push({path, body})
      const sse = (events: Array<[string | undefined, unknown]>) => {
        response.writeHead(200, {'content-type': 'text/event-stream'})
        for (const [event, data] of events)
          response.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)
        response.end()
      }
      const json = (data: unknown) => {
        response.writeHead(200, {'content-type': 'application/json'})
        response.end(JSON.stringify(data))
      }
      let parsed: {stream?: boolean; model?: string; tools?: Array<{name?: string}>} = {}
      try {
        parsed = JSON.parse(body)
      } catch {
        // not JSON: answer anyway
      }
      if (path.includes('count_tokens')) return json({input_tokens: 10})
      if (path.startsWith('/v1/messages')) {
        const message = {
          id: 'msg_stub',
          type: 'message',
          role: 'assistant',
          model: parsed.model ?? 'stub',
          content: [] as unknown[],
          stop_reason: null,
          stop_sequence: null,
          usage: {input_tokens: 10, output_tokens: 1},
        }
        const call = pendingToolCall
        if (call && parsed.tools?.some((tool) => tool.name === call.name)) {
          pendingToolCall = undefined
          const toolUse = {type: 'tool_use', id: 'toolu_stub', name: call.name, input: call.input}
          if (!parsed.stream) return json({...message, content: [toolUse], stop_reason: 'tool_use'})
          return sse([
            ['message_start', {type: 'message_start', message}],
            ['content_block_start', {type: 'content_block_start', index: 0, content_block: {...toolUse, input: {}}}],
            ['content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'input_json_delta', partial_json: JSON.stringify(call.input)}}],
            ['content_block_stop', {type: 'content_block_stop', index: 0}],
            ['message_delta', {type: 'message_delta', delta: {stop_reason: 'tool_use', stop_sequence: null}, usage: {output_tokens: 3}}],
            ['message_stop', {type: 'message_stop'}],
          ])
        }
        if (!parsed.stream) return json({...message, content: [{type: 'text', text: REPLY}], stop_reason: 'end_turn'})
        return sse([
          ['message_start', {type: 'message_start', message}],
          ['content_block_start', {type: 'content_block_start', index: 0, content_block: {type: 'text', text: ''}}],
          ['content_block_delta', {type: 'content_block_delta', index: 0, delta: {type: 'text_delta', text: REPLY}}],
          ['content_block_stop', {type: 'content_block_stop', index: 0}],
          ['message_delta', {type: 'message_delta', delta: {stop_reason: 'end_turn', stop_sequence: null}, usage: {output_tokens: 3}}],
          ['message_stop', {type: 'message_stop'}],
        ])
      }
      if (path.endsWith('/responses')) {
        return sse([
          ['response.created', {type: 'response.created', response: {id: 'resp_stub'}}],
          [
            'response.output_item.done',
            {type: 'response.output_item.done', item: {type: 'message', role: 'assistant', id: 'msg_stub', content: [{type: 'output_text', text: REPLY}]}},
          ],
          [
            'response.completed',
            {
              type: 'response.completed',
              response: {
                id: 'resp_stub',
                usage: {input_tokens: 10, input_tokens_details: null, output_tokens: 3, output_tokens_details: null, total_tokens: 13},
              },
            },
          ],
        ])
      }
      if (path.endsWith('/chat/completions')) {
        const chunk = (delta: unknown, finish: string | null) => ({
          id: 'c1',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'stub-model',
          choices: [{index: 0, delta, finish_reason: finish}],
        })
        return sse([
          [undefined, chunk({role: 'assistant', content: REPLY}, null)],
          [undefined, chunk({}, 'stop')],
          [
            undefined,
            {
              id: 'c1',
              object: 'chat.completion.chunk',
              created: 1,
              model: 'stub-model',
              choices: [],
              usage: {prompt_tokens: 10, completion_tokens: 3, total_tokens: 13},
            },
          ],
          [undefined, '[DONE]'],
        ])
      }
      if (path.includes(':streamGenerateContent') || path.includes(':generateContent')) {
        const payload = {
          candidates: [{content: {parts: [{text: REPLY}], role: 'model'}, finishReason: 'STOP', index: 0}],
          usageMetadata: {promptTokenCount: 10, candidatesTokenCount: 3, totalTokenCount: 13},
        }
        return path.includes(':stream') ? sse([[undefined, payload]]) : json(payload)
      }
      if (path.includes(':countTokens')) return json({totalTokens: 10})
      if (path.endsWith('/models')) return json({object: 'list', data: [{id: 'stub-model', object: 'model'}]})
      response.writeHead(404, {'content-type': 'application/json'})
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    completionBodies: () =>
      requests.filter((r) => /\/v1\/messages(\?|$)|\/responses$|\/chat\/completions$|:streamGenerateContent|:generateContent/.test(r.path)).map((r) => r.body),
    callToolNext: (name, input) => {
      pendingToolCall = {name, input}
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

export const MODEL_STUB_REPLY = REPLY
