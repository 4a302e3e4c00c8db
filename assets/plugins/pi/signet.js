/*
 * The Signet extension for Pi and its fork Oh My Pi (loaded in-process through jiti). Lifecycle
 * handlers run `signet hook <event> -H <harness>`; the tools call the daemon through Signet's own
 * client. Both come from `harness-bridge.js` of the installed package, so no key or URL is in here.
 * The two differ in where the schema builder comes from: Pi extensions import `@sinclair/typebox`,
 * Oh My Pi hands its own TypeBox to the extension as `pi.typebox`, so the Oh My Pi file imports
 * nothing and cannot break when the fork stops shimming that package.
 */
import {Type} from '@sinclair/typebox' // signet-only: pi

/** Recorded by `signet connector install`: the harness loading this file and the harness bridge of that Signet. */
const INSTALL = SIGNET_INSTALL
const HARNESS = INSTALL.harness
const BRIDGE = INSTALL.bridgeUrl
let bridgeModule
const bridge = () => (bridgeModule ??= import(BRIDGE))

async function hook(event, payload) {
  try {
    return await (await bridge()).runSignetHook(event, HARNESS, payload)
  } catch {
    return ''
  }
}

function sessionOf(ctx) {
  try {
    return {session_id: ctx?.sessionManager?.getSessionId?.(), transcript_path: ctx?.sessionManager?.getSessionFile?.()}
  } catch {
    return {}
  }
}

function textResult(text) {
  return {content: [{type: 'text', text}], details: {}}
}

export default function signet(pi) {
  registerSignet(pi, Type) // signet-only: pi
  registerSignet(pi, pi.typebox.Type) // signet-only: omp
}

/** Lifecycle handlers and tools, with `Type` the harness's TypeBox schema builder. */
function registerSignet(pi, Type) {
  let sessionContext
  let delivered = false

  const startSession = (ctx, source) => {
    delivered = false
    sessionContext = hook('session-start', {hook_event_name: 'SessionStart', ...sessionOf(ctx), cwd: ctx?.cwd ?? process.cwd(), source})
  }

  pi.on('session_start', async (event, ctx) => {
    startSession(ctx, event?.reason ?? 'startup')
  })

  pi.on('before_agent_start', async (event, ctx) => {
    const payload = {hook_event_name: 'UserPromptSubmit', ...sessionOf(ctx), cwd: ctx?.cwd ?? process.cwd(), prompt: event?.prompt ?? ''}
    const [start, recall] = await Promise.all([delivered ? '' : (sessionContext ?? ''), payload.prompt ? hook('user-prompt-submit', payload) : ''])
    delivered = true
    const content = [start, recall].filter(Boolean).join('\n\n')
    if (!content) return undefined
    return {message: {customType: 'signet-memory', content, display: false}}
  })

  pi.on('session_before_compact', async (event, ctx) => {
    await hook('pre-compaction', {hook_event_name: 'PreCompact', ...sessionOf(ctx), cwd: ctx?.cwd ?? process.cwd(), trigger: 'auto'})
    return undefined
  })

  pi.on('session_compact', async (event, ctx) => {
    void hook('compaction-complete', {hook_event_name: 'PostCompact', ...sessionOf(ctx), cwd: ctx?.cwd ?? process.cwd(), summary: event?.compactionEntry?.summary ?? ''})
    startSession(ctx, 'compact')
  })

  pi.on('session_shutdown', async (event, ctx) => {
    await hook('session-end', {hook_event_name: 'SessionEnd', ...sessionOf(ctx), cwd: ctx?.cwd ?? process.cwd(), reason: event?.reason ?? 'quit'})
  })

  pi.registerTool({
    name: 'signet_recall',
    label: 'Signet recall',
    description: 'Search long-term memory (facts, preferences, decisions saved in earlier sessions) for the given query.',
    parameters: Type.Object({
      query: Type.String({description: 'what to look for'}),
      limit: Type.Optional(Type.Number({description: 'maximum results (default 10)'})),
    }),
    async execute(toolCallId, params) {
      return textResult(await (await bridge()).signetRecall(HARNESS, params))
    },
  })

  pi.registerTool({
    name: 'signet_remember',
    label: 'Signet remember',
    description: 'Save a durable fact, preference or decision to long-term memory so future sessions know it.',
    parameters: Type.Object({
      content: Type.String({description: 'the memory, one self-contained statement'}),
      tags: Type.Optional(Type.Array(Type.String(), {description: 'tags'})),
      importance: Type.Optional(Type.Number({description: 'importance from 0 to 1'})),
    }),
    async execute(toolCallId, params, signal, onUpdate, ctx) {
      return textResult(await (await bridge()).signetRemember(HARNESS, {...params, sessionKey: sessionOf(ctx).session_id}))
    },
  })

  pi.registerTool({
    name: 'signet_session_search',
    label: 'Signet session search',
    description: 'Full-text search over transcripts of earlier sessions.',
    parameters: Type.Object({
      query: Type.String({description: 'words to search for'}),
      limit: Type.Optional(Type.Number({description: 'maximum sessions (default 5)'})),
    }),
    async execute(toolCallId, params) {
      return textResult(await (await bridge()).signetSessionSearch(HARNESS, params))
    },
  })

  pi.registerTool({
    name: 'signet_source_search',
    label: 'Signet source search',
    description: 'Search source-backed context (folders of code and docs indexed with signet source add); answers path:line chunks.',
    parameters: Type.Object({
      query: Type.String({description: 'words to search for'}),
      limit: Type.Optional(Type.Number({description: 'maximum chunks (default 10)'})),
      source: Type.Optional(Type.String({description: 'only this source (signet source list)'})),
    }),
    async execute(toolCallId, params) {
      return textResult(await (await bridge()).signetSourceSearch(HARNESS, params))
    },
  })

  // The agent network: other agents' messages arrive in the prompt; these let the model look and answer.
  const agentTools = [
    ['agent_peers', 'List the other agents connected to Signet, with harness, machine, project and status.', {
      agent: Type.Optional(Type.String({description: 'only this agent'})),
    }],
    ['agent_send', 'Send a message to another agent (agent id, agent@machine or session:<key>); shown once in their next prompt as data from you.', {
      to: Type.String({description: 'recipient'}),
      text: Type.String({description: 'the message'}),
      subject: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String({description: 'note, request or reply'})),
      reply_to: Type.Optional(Type.String({description: 'id of the message this answers'})),
    }],
    ['agent_inbox', 'Read your messages from other agents (box=sent: what you sent, with delivery and ack state).', {
      state: Type.Optional(Type.String({description: 'pending, delivered, acked, unacked (default) or all'})),
      box: Type.Optional(Type.String({description: 'in (default) or sent'})),
      limit: Type.Optional(Type.Number()),
    }],
    ['agent_ack', 'Acknowledge a message from another agent.', {id: Type.String({description: 'message id'})}],
  ]
  const aliases = {agent_peers: 'list_peers', agent_inbox: 'get_messages'}
  for (const [name, description, parameters] of agentTools) {
    for (const toolName of aliases[name] ? [name, aliases[name]] : [name]) {
      pi.registerTool({
        name: toolName,
        label: 'Signet ' + toolName.replace('_', ' '),
        description: toolName === name ? description : description + ' Same as ' + name + '.',
        parameters: Type.Object(parameters),
        async execute(toolCallId, params, signal, onUpdate, ctx) {
          const extra = name === 'agent_send' ? {session_key: sessionOf(ctx).session_id} : {}
          return textResult(await (await bridge()).signetAgentTool(HARNESS, name, {...params, ...extra}))
        },
      })
    }
  }
}
