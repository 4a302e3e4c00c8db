/*
 * The Signet plugin for OpenCode: a self-contained ES module (OpenCode loads it in-process under Bun,
 * so it imports nothing but node built-ins). Every lifecycle point runs the same
 * `signet hook <event> -H opencode` command the shell-hook harnesses run, so credentials, budgets
 * and the offline spool live in one place and no key is ever in this file.
 */
import {spawn} from 'node:child_process'

/** Recorded by `signet connector install opencode`: the node binary and bin/run.js of that Signet, and each hook's timeout. */
const INSTALL = SIGNET_INSTALL
const NODE = INSTALL.node
const SIGNET = INSTALL.runJs
const TIMEOUT_MS = INSTALL.timeoutMs

/** Run `signet hook <event> -H opencode` with the payload on stdin; its stdout, or '' on any failure. */
function runHook(event, payload) {
  return new Promise((resolve) => {
    let output = ''
    let settled = false
    let child
    const finish = (value) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(value)
    }
    const timer = setTimeout(() => {
      try { child?.kill() } catch { /* already exited */ }
      finish('')
    }, TIMEOUT_MS[event] ?? 10000)
    try {
      child = spawn(NODE, [SIGNET, 'hook', event, '-H', 'opencode'], {stdio: ['pipe', 'pipe', 'ignore'], env: process.env})
    } catch {
      return finish('')
    }
    child.stdout.on('data', (chunk) => { output += chunk })
    child.on('error', () => finish(''))
    child.on('close', (code) => finish(code === 0 ? output.trim() : ''))
    child.stdin.on('error', () => {})
    child.stdin.end(JSON.stringify(payload))
  })
}

function textOf(parts) {
  return (parts ?? [])
    .filter((part) => part && part.type === 'text' && !part.synthetic && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n')
}

let partCounter = 0
function partId() {
  partCounter += 1
  return 'prt_' + Date.now().toString(16) + 'signet' + String(partCounter).padStart(6, '0')
}

export const SignetPlugin = async ({client, directory, worktree}) => {
  // the session's own directory: outside a git repository OpenCode reports worktree "/", which
  // would put every unrelated folder in one project (the hook derives the git root itself)
  const cwd = directory || worktree || process.cwd()
  /** sessionID → promise of the session-start context, injected with the first prompt. */
  const started = new Map()
  const delivered = new Set()
  /** messageID → what Signet adds to that user turn (see experimental.chat.messages.transform). */
  const injections = new Map()

  const startSession = (sessionID, source) => {
    if (!started.has(sessionID)) {
      started.set(sessionID, runHook('session-start', {hook_event_name: 'SessionStart', session_id: sessionID, cwd, source}))
    }
    return started.get(sessionID)
  }

  const messagesOf = async (sessionID) => {
    try {
      const response = await client.session.messages({path: {id: sessionID}})
      return Array.isArray(response?.data) ? response.data : []
    } catch {
      return []
    }
  }

  const transcriptOf = (messages) => messages
    .map((message) => {
      const text = textOf(message.parts)
      return text ? (message.info?.role === 'assistant' ? 'Assistant: ' : 'User: ') + text : ''
    })
    .filter(Boolean)
    .join('\n\n')

  return {
    event: async ({event}) => {
      const sessionID = event?.properties?.sessionID ?? event?.properties?.info?.id
      if (!sessionID) return
      if (event.type === 'session.created') {
        void startSession(sessionID, 'startup')
      } else if (event.type === 'session.compacted') {
        const messages = await messagesOf(sessionID)
        const summary = [...messages].reverse().find((message) => message.info?.role === 'assistant' && message.info?.summary)
        void runHook('compaction-complete', {hook_event_name: 'PostCompact', session_id: sessionID, cwd, summary: summary ? textOf(summary.parts) : ''})
        // the summary replaced the conversation: identity and memories must come again with the
        // next prompt, as a fresh load ('compact'), not as "already loaded at its start" ('resume')
        started.delete(sessionID)
        delivered.delete(sessionID)
        void startSession(sessionID, 'compact')
      } else if (event.type === 'session.idle') {
        // OpenCode has no "session ended" event: each idle hands the transcript so far to the daemon.
        const transcript = transcriptOf(await messagesOf(sessionID))
        if (transcript) void runHook('session-end', {hook_event_name: 'SessionEnd', session_id: sessionID, cwd, reason: 'idle', transcript})
      }
    },

    'chat.message': async (input, output) => {
      const sessionID = input?.sessionID
      if (!sessionID || !output || !Array.isArray(output.parts)) return
      const prompt = textOf(output.parts)
      const [start, recall] = await Promise.all([
        delivered.has(sessionID) ? '' : startSession(sessionID, 'resume'),
        prompt ? runHook('user-prompt-submit', {hook_event_name: 'UserPromptSubmit', session_id: sessionID, cwd, prompt}) : '',
      ])
      delivered.add(sessionID)
      const text = [start, recall].filter(Boolean).join('\n\n')
      const messageID = output.message?.id ?? input.messageID
      if (!text || !messageID) return
      injections.set(messageID, {id: partId(), sessionID, text})
    },

    // The inject joins its user turn only on the way to the model, never stored in the message:
    // OpenCode's title generation reads the stored first message, and must not see memories.
    'experimental.chat.messages.transform': async (_input, output) => {
      if (!Array.isArray(output?.messages)) return
      for (const message of output.messages) {
        const injection = injections.get(message?.info?.id)
        if (!injection || !Array.isArray(message.parts) || message.parts.some((part) => part?.id === injection.id)) continue
        message.parts.push({id: injection.id, sessionID: injection.sessionID, messageID: message.info.id, type: 'text', text: injection.text, synthetic: true})
      }
    },

    'experimental.session.compacting': async (input, output) => {
      const guidance = await runHook('pre-compaction', {hook_event_name: 'PreCompact', session_id: input?.sessionID, cwd, trigger: 'auto'})
      if (guidance && Array.isArray(output?.context)) output.context.push(guidance)
    },
  }
}
