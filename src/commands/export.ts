import {writeFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import type {MemoryView} from '../api/memory.js'
import {SignetCommand} from '../cli/base-command.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {SignetError} from '../errors.js'
import {paint, paintError} from '../ui/output.js'

/** One line of an export: the fields `signet import` accepts. */
interface ExportedMemory {
  content: string
  type: string
  tags: string[]
  importance: number
  pinned: boolean
  project?: string
  createdAt: string
  agentId: string
}

const PAGE = 500

export default class Export extends SignetCommand<typeof Export> {
  static override description = `Export memories as JSON Lines, oldest first

One memory per line with content, type, tags, importance, pinned, project, createdAt and
agentId: exactly what \`signet import\` reads, so an export re-imports into any workspace, each
memory under its own agent (and into the same one as a no-op: memories are deduplicated).
The owner exports every agent's memories (the same total \`signet status\` counts); --agent-id
narrows to one agent, and a key scoped to an agent exports only that agent. With --json (and no
--output) the memories come as one JSON object, {"memories": [...]}, which \`signet import\`
reads too.`
  static override examples = [
    '<%= config.bin %> export > memories.jsonl',
    '<%= config.bin %> export --project github.com/acme/api --output api-memories.jsonl',
    '<%= config.bin %> export --tags infra,deploy',
    '<%= config.bin %> export --agent-id reviewer --output reviewer.jsonl',
    '<%= config.bin %> export --json > memories.json',
  ]
  static override enableJsonFlag = true
  static override flags = {
    output: Flags.string({char: 'o', description: 'write to this file instead of standard output'}),
    project: Flags.string({description: 'only memories of this project'}),
    tags: Flags.string({char: 't', description: 'only memories with all of these comma-separated tags'}),
    type: Flags.string({description: 'only memories of this type'}),
    'agent-id': Flags.string({
      description: "only this agent (default: every agent, or the key's own agent when it is scoped)",
      aliases: ['agent'],
      env: 'SIGNET_AGENT_ID',
    }),
    'all-agents': Flags.boolean({description: "every agent's memories (the default unless --agent-id is given)", exclusive: ['agent-id']}),
  }

  public async run(): Promise<{memories: ExportedMemory[]} | {exported: number; agents: number; output: string} | void> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const narrowed = this.flags['agent-id']
    // A key scoped to one agent can only export that agent: say so rather than call it the whole store.
    const scopedAgent = narrowed === undefined ? (await client.call('GET /api/auth/whoami')).scope.agent : undefined
    if (this.flags['all-agents'] && scopedAgent) {
      throw new SignetError(
        `this key is scoped to agent '${scopedAgent}' and can export only that agent — run \`signet export\` on the daemon's machine (or with an unscoped key) for every agent`,
      )
    }
    const memories: MemoryView[] = []
    let total: number
    for (let offset = 0; ; offset += PAGE) {
      const page = await client.call('GET /api/memories', {
        query: {
          limit: PAGE,
          offset,
          project: this.flags.project,
          tags: this.flags.tags,
          type: this.flags.type,
          agentId: narrowed,
          allAgents: narrowed === undefined && !scopedAgent ? 'true' : undefined,
        },
      })
      memories.push(...page.memories)
      total = page.total
      if (page.memories.length < PAGE) break
    }
    if (memories.length !== total) {
      throw new SignetError(`the store changed during the export (listed ${memories.length} of ${total} memories) — run it again`)
    }
    const agents = new Set(memories.map((memory) => memory.agentId)).size
    // The API lists newest first; an export reads best oldest first, like the history it is.
    const exported: ExportedMemory[] = memories.reverse().map((memory) => ({
      content: memory.content,
      type: memory.type,
      tags: memory.tags,
      importance: memory.importance,
      pinned: memory.pinned,
      ...(memory.project === null ? {} : {project: memory.project}),
      createdAt: memory.createdAt,
      agentId: memory.agentId,
    }))
    if (this.jsonEnabled() && this.flags.output === undefined) return {memories: exported}
    const lines = exported.map((memory) => JSON.stringify(memory))
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : ''
    const which = narrowed ?? scopedAgent
    const summary = `Exported ${plural(lines.length, 'memory', 'memories')} of ${which ? `agent '${which}'` : plural(agents, 'agent', 'agents')}`
    if (this.flags.output === undefined) {
      process.stdout.write(text)
      // stdout is the data; the summary goes beside it, so a redirect still tells the user what it holds.
      if (!this.jsonEnabled()) process.stderr.write(`${paintError.green('✓')} ${summary}\n`)
      return
    }
    try {
      writeFileSync(this.flags.output, text, {mode: 0o600})
    } catch (error) {
      throw new SignetError(`cannot write ${this.flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    this.log(`${paint.green('✓')} ${summary} to ${this.flags.output}`)
    return {exported: lines.length, agents, output: this.flags.output}
  }
}

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`
}
