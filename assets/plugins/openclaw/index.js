/*
 * The Signet plugin for OpenClaw (runs inside the OpenClaw gateway on Node). Lifecycle hooks run
 * `signet hook <event> -H openclaw`; tools call the daemon through Signet's own client, both via
 * `harness-bridge.js` of the installed package — no key or URL is written here. OpenClaw runs
 * plugins from a bundled copy under its own tmp dir, so the node binary and `bin/run.js` are the
 * absolute paths recorded at install time, never derived from where the code runs.
 */

/** Recorded by `signet connector install openclaw`: the harness bridge, node binary and bin/run.js of that Signet. */
const INSTALL = SIGNET_INSTALL
const BRIDGE = INSTALL.bridgeUrl
const SIGNET = INSTALL.signet
let bridgeModule
const bridge = () => (bridgeModule ??= import(BRIDGE))

async function hook(event, payload) {
  try {
    return await (await bridge()).runSignetHook(event, 'openclaw', payload, SIGNET)
  } catch {
    return ''
  }
}

const text = (value) => ({content: [{type: 'text', text: value}], details: {}})
const emptyConfig = {
  safeParse: (value) => (value === undefined || (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
    ? {success: true, data: value}
    : {success: false, error: {issues: [{path: [], message: 'config must be empty'}]}}),
  jsonSchema: {type: 'object', additionalProperties: false, properties: {}},
}

export default {
  id: 'signet',
  name: 'Signet',
  description: 'Signet memory hooks and tools',
  configSchema: emptyConfig,
  register(api) {
    /** sessionKey → session-start context still to deliver with the next prompt. */
    const pending = new Map()
    /** Sessions this process has started: one-shot runs (`openclaw agent --local`) never emit session_start. */
    const started = new Set()
    const keyOf = (event, ctx) => ctx?.sessionKey ?? ctx?.sessionId ?? event?.sessionKey ?? event?.sessionId
    const cwd = () => process.cwd()
    const startSession = (key, ctx, source = 'startup') => {
      started.add(key)
      pending.set(key, hook('session-start', {hook_event_name: 'SessionStart', session_id: key, cwd: cwd(), agent_id: ctx?.agentId, source}))
    }

    api.on('session_start', async (event, ctx) => {
      const key = keyOf(event, ctx)
      if (key) startSession(key, ctx)
    })

    api.on('before_prompt_build', async (event, ctx) => {
      const key = keyOf(event, ctx)
      const prompt = typeof event?.prompt === 'string' ? event.prompt : ''
      if (key && !started.has(key)) startSession(key, ctx)
      const start = key && pending.has(key) ? await pending.get(key) : ''
      if (key) pending.delete(key)
      const recall = prompt ? await hook('user-prompt-submit', {hook_event_name: 'UserPromptSubmit', session_id: key, cwd: cwd(), agent_id: ctx?.agentId, prompt}) : ''
      const context = [start, recall].filter(Boolean).join('\n\n')
      return context ? {prependContext: context} : undefined
    })

    api.on('before_compaction', async (event, ctx) => {
      await hook('pre-compaction', {hook_event_name: 'PreCompact', session_id: keyOf(event, ctx), cwd: cwd(), trigger: 'auto'})
    })

    api.on('after_compaction', async (event, ctx) => {
      const key = keyOf(event, ctx)
      await hook('compaction-complete', {hook_event_name: 'PostCompact', session_id: key, cwd: cwd(), summary: event?.summary ?? ''})
      // the summary replaced the conversation: load identity and memories afresh for the next prompt
      // (source 'compact' also lets recall bring back memories this session was already given)
      if (key) startSession(key, ctx, 'compact')
    })

    // The conversation so far, after every turn: one-shot runs never reach session_end, and the
    // daemon keeps one transcript per session (a longer one replaces a shorter one).
    api.on('agent_end', async (event, ctx) => {
      const key = keyOf(event, ctx)
      if (!key || !Array.isArray(event?.messages) || event.messages.length === 0) return
      await hook('session-end', {hook_event_name: 'SessionEnd', session_id: key, cwd: cwd(), agent_id: ctx?.agentId, reason: 'turn', messages: event.messages})
    })

    api.on('session_end', async (event, ctx) => {
      const key = keyOf(event, ctx)
      if (key) {
        pending.delete(key)
        started.delete(key)
      }
      await hook('session-end', {hook_event_name: 'SessionEnd', session_id: key, cwd: cwd(), reason: event?.reason ?? 'unknown', transcript_path: event?.sessionFile ?? ctx?.sessionFile})
    })

    api.registerTool({
      name: 'signet_recall',
      description: 'Search long-term memory (facts, preferences, decisions saved in earlier sessions) for the given query.',
      parameters: {type: 'object', properties: {query: {type: 'string'}, limit: {type: 'number'}}, required: ['query'], additionalProperties: false},
      async execute(_id, params) {
        return text(await (await bridge()).signetRecall('openclaw', params))
      },
    })

    api.registerTool({
      name: 'signet_remember',
      description: 'Save a durable fact, preference or decision to long-term memory so future sessions know it.',
      parameters: {type: 'object', properties: {content: {type: 'string'}, tags: {type: 'array', items: {type: 'string'}}, importance: {type: 'number'}}, required: ['content'], additionalProperties: false},
      async execute(_id, params) {
        return text(await (await bridge()).signetRemember('openclaw', params))
      },
    })

    api.registerTool({
      name: 'signet_session_search',
      description: 'Full-text search over transcripts of earlier sessions.',
      parameters: {type: 'object', properties: {query: {type: 'string'}, limit: {type: 'number'}}, required: ['query'], additionalProperties: false},
      async execute(_id, params) {
        return text(await (await bridge()).signetSessionSearch('openclaw', params))
      },
    })
  },
}
