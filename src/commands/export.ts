import {writeFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {SignetError} from '../errors.js'
import {paint} from '../ui/output.js'

interface ListedMemory {
  content: string
  type: string
  tags: string[]
  importance: number
  pinned: boolean
  project: string | null
  created_at: string
}

interface ListResponse {
  memories: ListedMemory[]
  total: number
}

/** One line of an export: the fields `signet import` accepts. */
interface ExportedMemory {
  content: string
  type: string
  tags: string[]
  importance: number
  pinned: boolean
  project?: string
  createdAt: string
}

const PAGE = 500

export default class Export extends SignetCommand<typeof Export> {
  static override description = `Export memories as JSON Lines, oldest first

One memory per line with content, type, tags, importance, pinned, project and createdAt:
exactly what \`signet import\` reads, so an export re-imports into any workspace (and into the
same one as a no-op: memories are deduplicated). With --json (and no --output) the memories
come as one JSON object, {"memories": [...]}, which \`signet import\` reads too.`
  static override examples = [
    '<%= config.bin %> export > memories.jsonl',
    '<%= config.bin %> export --project github.com/acme/api --output api-memories.jsonl',
    '<%= config.bin %> export --tags infra,deploy',
    '<%= config.bin %> export --json > memories.json',
  ]
  static override enableJsonFlag = true
  static override flags = {
    output: Flags.string({char: 'o', description: 'write to this file instead of standard output'}),
    project: Flags.string({description: 'only memories of this project'}),
    tags: Flags.string({char: 't', description: 'only memories with all of these comma-separated tags'}),
    type: Flags.string({description: 'only memories of this type'}),
    'agent-id': Flags.string({description: 'agent to export (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
  }

  public async run(): Promise<{memories: ExportedMemory[]} | {exported: number; output: string} | void> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const memories: ListedMemory[] = []
    for (let offset = 0; ; offset += PAGE) {
      const page = await client.get<ListResponse>('/api/memories', {
        limit: PAGE,
        offset,
        project: this.flags.project,
        tags: this.flags.tags,
        type: this.flags.type,
        agentId: this.flags['agent-id'],
      })
      memories.push(...page.memories)
      if (page.memories.length < PAGE) break
    }
    // The API lists newest first; an export reads best oldest first, like the history it is.
    const exported: ExportedMemory[] = memories.reverse().map((memory) => ({
      content: memory.content,
      type: memory.type,
      tags: memory.tags,
      importance: memory.importance,
      pinned: memory.pinned,
      ...(memory.project === null ? {} : {project: memory.project}),
      createdAt: memory.created_at,
    }))
    if (this.jsonEnabled() && this.flags.output === undefined) return {memories: exported}
    const lines = exported.map((memory) => JSON.stringify(memory))
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : ''
    if (this.flags.output === undefined) {
      process.stdout.write(text)
      return
    }
    try {
      writeFileSync(this.flags.output, text, {mode: 0o600})
    } catch (error) {
      throw new SignetError(`cannot write ${this.flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    this.log(`${paint.green('✓')} Exported ${lines.length.toLocaleString('en')} memories to ${this.flags.output}`)
    return {exported: lines.length, output: this.flags.output}
  }
}
