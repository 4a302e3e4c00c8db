import {Args, Flags} from '@oclif/core'

import type {RecallResponse} from '../api/memory.js'
import {SignetCommand} from '../cli/base-command.js'
import type {DaemonClient} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {paint, renderTable} from '../ui/output.js'

/** `--json` output: the daemon's answer, plus where else matches are when there are none here. */
type RecallOutput = RecallResponse & {otherAgents?: Array<{agentId: string; matches: number}>}

/** Other agents are searched only to point at them, and only this many (the owner rarely has more). */
const MAX_AGENTS_CHECKED = 20

/**
 * When nothing matches for this agent: how many would match under each other agent. Only an
 * unscoped caller can see other agents; a scoped key gets an empty list, not an error.
 */
async function matchesUnderOtherAgents(
  client: DaemonClient,
  query: string,
  searched: string | undefined,
  flags: {limit: number; project?: string; tags?: string; type?: string},
): Promise<Array<{agentId: string; matches: number}>> {
  try {
    const listed = await client.call('GET /api/memories', {query: {limit: 1, allAgents: 'true', project: flags.project}})
    const others = Object.keys(listed.byAgent)
      .filter((agent) => agent !== searched)
      .slice(0, MAX_AGENTS_CHECKED)
    const found: Array<{agentId: string; matches: number}> = []
    for (const agentId of others) {
      const hits = await client.call('POST /api/memory/recall', {
        body: {query, limit: flags.limit, project: flags.project, tags: splitTags(flags.tags), type: flags.type, agentId},
      })
      if (hits.results.length > 0) found.push({agentId, matches: hits.results.length})
    }
    return found.sort((a, b) => b.matches - a.matches)
  } catch {
    return []
  }
}

export default class Recall extends SignetCommand<typeof Recall> {
  static override description = 'Search memories by meaning and keywords'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> recall "staging database port"',
    '<%= config.bin %> recall deploy --limit 5 --project github.com/acme/api',
    '<%= config.bin %> recall "package manager" --json | jq ".results[0].content"',
  ]
  static override args = {
    query: Args.string({description: 'what to look for', required: true}),
  }
  static override flags = {
    limit: Flags.integer({char: 'l', description: 'maximum results', default: 10, min: 1, max: 100}),
    project: Flags.string({description: 'only memories of this project'}),
    tags: Flags.string({char: 't', description: 'only memories with all of these comma-separated tags'}),
    type: Flags.string({description: 'only memories of this type'}),
    'agent-id': Flags.string({description: 'agent to search (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
  }

  public async run(): Promise<RecallOutput> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const response = await client.call('POST /api/memory/recall', {
      body: {
        query: this.args.query,
        limit: this.flags.limit,
        project: this.flags.project,
        tags: splitTags(this.flags.tags),
        type: this.flags.type,
        agentId: this.flags['agent-id'],
      },
    })
    if (response.results.length === 0) {
      const elsewhere = this.flags['agent-id'] === undefined ? await matchesUnderOtherAgents(client, this.args.query, response.meta.agentId, this.flags) : []
      if (this.jsonEnabled()) return {...response, otherAgents: elsewhere}
      this.log(paint.dim(`No memories match "${this.args.query}"${response.meta.agentId ? ` for agent '${response.meta.agentId}'` : ''}.`))
      if (elsewhere.length > 0) {
        const total = elsewhere.reduce((sum, agent) => sum + agent.matches, 0)
        const list = elsewhere.map((agent) => `${agent.agentId} (${agent.matches})`).join(', ')
        this.log(
          `${total} ${total === 1 ? 'memory matches' : 'memories match'} under other agents: ${list} — add --agent-id ${elsewhere[0].agentId} to search there.`,
        )
      }
      return response
    }
    this.log(
      renderTable(response.results, [
        {header: 'SCORE', value: (row) => row.score.toFixed(2)},
        // Wrap-free on a terminal; untruncated when piped, where nobody is reading columns.
        {header: 'MEMORY', value: (row) => row.content, maxWidth: process.stdout.columns ? Math.max(40, process.stdout.columns - 60) : undefined},
        {header: 'TAGS', value: (row) => row.tags.join(','), maxWidth: 20},
        {header: 'DATE', value: (row) => row.createdAt.slice(0, 10)},
        {header: 'ID', value: (row) => row.id.slice(0, 8)},
      ]),
    )
    this.log(paint.dim(`${response.meta.total} result(s) in ${response.meta.elapsedMs} ms (${response.meta.method})`))
    return response
  }
}

function splitTags(tags: string | undefined): string[] | undefined {
  return tags
    ?.split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
}
