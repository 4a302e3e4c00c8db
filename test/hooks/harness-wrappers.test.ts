import {describe, expect, it} from 'vitest'

import {promptRecallQuery} from '../../src/daemon/routes/hooks.js'
import {stripHarnessWrappers, userWords} from '../../src/hooks/harness-wrappers.js'
import {parseHookPayload} from '../../src/hooks/hook-payload.js'
import {renderRecalledNotes, stripInjectedBlocks} from '../../src/hooks/inject-format.js'
import {formatTranscript} from '../../src/hooks/transcript-format.js'

const notes = renderRecalledNotes([{id: 'm1', content: 'The staging database listens on port 5433.'}], {maxChars: 2000}).text
/** What Gemini CLI does to hook output before putting it in front of the model. */
const htmlEscape = (text: string) => text.replace(/</g, '&lt;').replace(/>/g, '&gt;')
const geminiSessionContext = `<hook_context>${htmlEscape(`## Agent Instructions\nBe terse.\n\n${notes}\n[signet memory active — agent "default". Use the signet recall/remember tools for more.]`)}</hook_context>`

describe("the user's words in a prompt", () => {
  it('Gemini -p: the session context prepended to the prompt is not part of the query', () => {
    const prompt = `${geminiSessionContext}\n\nwhat port is the staging database on`
    expect(userWords(prompt)).toBe('what port is the staging database on')
    expect(parseHookPayload(JSON.stringify({session_id: 's', prompt}), 'gemini').prompt).toBe('what port is the staging database on')
    // the daemon builds the same query from the raw text (plugins and older hooks send it unchanged)
    expect(promptRecallQuery(prompt)).toBe(promptRecallQuery('what port is the staging database on'))
  })

  it("removes Signet's fences, raw or HTML-escaped, and an unclosed one to the end", () => {
    expect(stripInjectedBlocks(`before\n${notes}\nafter`)).toBe('before\n\nafter')
    expect(stripInjectedBlocks(`before ${htmlEscape(notes)} after`)).toBe('before  after')
    expect(stripInjectedBlocks('ask <signet-agent-messages>\nfrom bob: hi\n</signet-agent-messages> this')).toBe('ask  this')
    expect(stripInjectedBlocks('question?\n<signet-recalled-memories>\n- cut short')).toBe('question?\n')
    // not ours: kept
    expect(stripInjectedBlocks('install signet-cli and <signet> tags')).toBe('install signet-cli and <signet> tags')
  })

  it('removes what Claude Code, Codex and Gemini wrap around prompts, keeps slash-command arguments', () => {
    expect(userWords('Fix the login bug <system-reminder>The user opened x.ts</system-reminder>')).toBe('Fix the login bug')
    expect(userWords('<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>the port change</command-args>')).toBe(
      'the port change',
    )
    expect(userWords('<environment_context>\n<cwd>/x</cwd>\n</environment_context>\nadd a test')).toBe('add a test')
    expect(userWords('<session_context>x</session_context>hi')).toBe('hi')
    // an unclosed wrapper may be the user's own text: left alone
    expect(stripHarnessWrappers('how do I close a <system-reminder> tag?')).toBe('how do I close a <system-reminder> tag?')
    // only wrappers: nothing left to recall for, so the hook sends no request
    expect(parseHookPayload(JSON.stringify({prompt: geminiSessionContext}), 'gemini').prompt).toBeUndefined()
  })

  it("removes OpenClaw's channel metadata envelope in front of a message", () => {
    const prompt = [
      'Conversation info (untrusted metadata):',
      '```json',
      JSON.stringify({message_id: '56388', sender: 'Nico', timestamp: 'Fri 2026-04-17 12:14 UTC'}, null, 2),
      '```',
      '',
      'Sender (untrusted metadata):',
      '```json',
      JSON.stringify({label: 'Nico (5392634979)', name: 'Nico'}, null, 2),
      '```',
      '',
      'what port is the staging database on',
    ].join('\n')
    expect(userWords(prompt)).toBe('what port is the staging database on')
    // a marker without its fenced block is the user's text
    expect(userWords('is "(untrusted metadata):" a header?')).toBe('is "(untrusted metadata):" a header?')
  })

  it('is linear on hostile input (many unclosed openings)', () => {
    const hostile =
      '<system-reminder>'.repeat(50_000) +
      '<signet-x>'.repeat(50_000) +
      '&lt;signet-y&gt;'.repeat(50_000) +
      '<hook_context>a'.repeat(50_000) +
      'x (untrusted metadata):\n```'.repeat(50_000)
    const started = performance.now()
    userWords(hostile)
    formatTranscript(hostile)
    // quadratic scanning of ~3 MB would take minutes; linear takes milliseconds
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('stored transcripts hold no Signet output', () => {
  it('Gemini chat recording: the hook context (with our escaped fence) is not in the user turn', () => {
    const raw = JSON.stringify({
      sessionId: 's',
      messages: [
        {type: 'user', content: [{text: `${geminiSessionContext}\n\nwhat port is the staging database on`}]},
        {type: 'user', content: [{text: `<hook_context>${htmlEscape(notes)}</hook_context>`}]},
        {type: 'gemini', content: 'Port 5433.'},
      ],
    })
    const text = formatTranscript(raw)
    expect(text).toBe('User: what port is the staging database on\n\nAssistant: Port 5433.')
  })

  it("OpenCode: synthetic parts (plugin context) are not the user's words; plain text loses our fences too", () => {
    const raw = JSON.stringify({
      messages: [
        {
          role: 'user',
          parts: [
            {type: 'text', text: 'deploy it'},
            {type: 'text', text: notes, synthetic: true},
          ],
        },
        {role: 'assistant', parts: [{type: 'text', text: 'Done.'}]},
      ],
    })
    expect(formatTranscript(raw)).toBe('User: deploy it\n\nAssistant: Done.')
    expect(formatTranscript(`User: deploy it\n\n${notes}\n\nAssistant: Done.`)).toBe('User: deploy it\n\nAssistant: Done.')
  })
})
