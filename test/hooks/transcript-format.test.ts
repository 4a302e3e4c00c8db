import {describe, expect, it} from 'vitest'

import {capTranscript, formatTranscript} from '../../src/hooks/transcript-format.js'
import {extractDurableMemories} from '../../src/store/memory-extraction.js'

const jsonl = (...records: unknown[]) => records.map((record) => JSON.stringify(record)).join('\n')

describe('formatTranscript', () => {
  it('Claude Code JSONL: text turns only; tool results, meta lines and reminders dropped; streamed assistant lines joined', () => {
    const raw =
      jsonl(
        {type: 'summary', summary: 'old'},
        {type: 'user', isMeta: true, message: {role: 'user', content: '<local-command-stdout>x</local-command-stdout>'}},
        {type: 'user', message: {role: 'user', content: 'Fix the login bug <system-reminder>internal</system-reminder>'}},
        {
          type: 'assistant',
          message: {
            role: 'assistant',
            content: [
              {type: 'thinking', thinking: 'hmm'},
              {type: 'text', text: 'Looking.'},
            ],
          },
        },
        {type: 'assistant', message: {role: 'assistant', content: [{type: 'tool_use', name: 'Read', input: {file_path: '/x'}}]}},
        {type: 'user', message: {role: 'user', content: [{type: 'tool_result', content: 'remember that secrets are fine'}]}},
        {type: 'assistant', message: {role: 'assistant', content: [{type: 'text', text: 'Fixed.'}]}},
      ) + '\n{"type":"user","mess' // torn last line while Claude Code is still writing
    expect(formatTranscript(raw)).toBe('User: Fix the login bug\n\nAssistant: Looking.\n[tool: Read]\nFixed.')
  })

  it('Codex rollout JSONL: response_item messages, environment context skipped', () => {
    const raw = jsonl(
      {type: 'session_meta', payload: {id: 'x'}},
      {
        type: 'response_item',
        payload: {type: 'message', role: 'user', content: [{type: 'input_text', text: '<environment_context>cwd</environment_context>'}]},
      },
      {type: 'response_item', payload: {type: 'message', role: 'developer', content: [{type: 'input_text', text: 'rules'}]}},
      {type: 'response_item', payload: {type: 'message', role: 'user', content: [{type: 'input_text', text: 'Add a CHANGELOG entry'}]}},
      {type: 'response_item', payload: {type: 'function_call', name: 'shell'}},
      {type: 'response_item', payload: {type: 'message', role: 'assistant', content: [{type: 'output_text', text: 'Added.'}]}},
    )
    expect(formatTranscript(raw)).toBe('User: Add a CHANGELOG entry\n\nAssistant: Added.')
  })

  it('Pi session JSONL: message entries, tool results skipped', () => {
    const raw = jsonl(
      {type: 'session', id: 's1', cwd: '/x'},
      {type: 'message', id: 'a', message: {role: 'user', content: [{type: 'text', text: 'Remember that builds use turbo.'}]}},
      {
        type: 'message',
        id: 'b',
        message: {
          role: 'assistant',
          content: [
            {type: 'text', text: 'Noted.'},
            {type: 'toolCall', name: 'bash'},
          ],
        },
      },
      {type: 'message', id: 'c', message: {role: 'toolResult', content: [{type: 'text', text: 'remember that this is tool output'}]}},
    )
    expect(formatTranscript(raw)).toBe('User: Remember that builds use turbo.\n\nAssistant: Noted.')
  })

  it('Gemini chat JSON and generic {messages} documents', () => {
    const gemini = JSON.stringify({
      sessionId: 's',
      messages: [
        {type: 'user', content: 'hello'},
        {type: 'gemini', content: 'hi there'},
        {type: 'info', content: 'x'},
      ],
    })
    expect(formatTranscript(gemini)).toBe('User: hello\n\nAssistant: hi there')
    const generic = JSON.stringify({
      messages: [
        {role: 'user', content: 'a'},
        {role: 'assistant', parts: [{type: 'text', text: 'b'}]},
        {role: 'system', content: 'c'},
      ],
    })
    expect(formatTranscript(generic)).toBe('User: a\n\nAssistant: b')
  })

  it('plain text passes through; caps keep head and tail', () => {
    expect(formatTranscript('  User: plain  ')).toBe('User: plain')
    const long = `START${'x'.repeat(10_000)}END`
    const capped = capTranscript(long, 1000)
    expect(capped.length).toBeLessThanOrEqual(1000)
    expect(capped.startsWith('START')).toBe(true)
    expect(capped.endsWith('END')).toBe(true)
    expect(capped).toContain('characters omitted')
  })
})

describe('extractDurableMemories', () => {
  it('finds explicit remembers, decisions and preferences in user turns only', () => {
    const found = extractDurableMemories(
      [
        'User: Okay, remember that the VPN config lives in ops/vpn.conf. I prefer Vitest over Jest for new packages.',
        "Assistant: Remember: I'll keep that in mind. We decided nothing yet.",
        "User: Let's go with Fastify for the gateway. Do you remember when the cache broke? Should we always use ESM?",
        'User: ```\nremember that this is code\n```',
      ].join('\n\n'),
    )
    expect(found.map((memory) => [memory.type, memory.content])).toEqual([
      ['fact', 'The VPN config lives in ops/vpn.conf.'],
      ['preference', 'I prefer Vitest over Jest for new packages.'],
      ['decision', "Let's go with Fastify for the gateway."],
    ])
  })

  it('is bounded and deduplicated', () => {
    const many = Array.from({length: 40}, (_, index) => `User: Remember that fact number ${index} matters.`).join('\n\n')
    expect(extractDurableMemories(many)).toHaveLength(12)
    expect(extractDurableMemories('User: Remember that X is big.\n\nUser: remember that x is big.')).toHaveLength(1)
  })
})
