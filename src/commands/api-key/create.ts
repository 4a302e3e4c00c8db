import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {type Permission, PERMISSIONS, type Role, ROLES} from '../../api/fields.js'
import {SignetError} from '../../errors.js'
import {HARNESS_IDS} from '../../harnesses/registry.js'
import {parseExpiresAt, renderCreatedKey, type CreatedApiKeyView} from '../../ui/api-keys.js'

export default class ApiKeyCreate extends SignetCommand<typeof ApiKeyCreate> {
  static override description = 'Create an API key for a remote harness or script; the raw key is shown once'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> api-key create --name "work laptop pi" --connector pi --agent-id pi-work-laptop',
    '<%= config.bin %> api-key create --name backup-reader --role readonly --expires-at 2026-12-31T00:00:00Z',
    '<%= config.bin %> api-key create --name ci --project github.com/acme/api --permissions recall,remember --json',
  ]
  static override flags = {
    // Checked in run() rather than by oclif, so a missing name is exit 1 with one line like every other mistake.
    name: Flags.string({char: 'n', description: 'a name you will recognise in `api-key list` (required)'}),
    connector: Flags.string({description: `harness this key is for (${HARNESS_IDS.join(', ')}, …)`}),
    'agent-id': Flags.string({description: 'scope the key to this agent: it defaults to it and may not act for another'}),
    role: Flags.string({description: 'what the key may do', options: [...ROLES], default: 'agent'}),
    project: Flags.string({description: 'scope the key to this project'}),
    permissions: Flags.string({description: `comma-separated subset of the role's permissions (${PERMISSIONS.join(', ')})`}),
    'expires-at': Flags.string({description: 'ISO 8601 time after which the key stops working'}),
  }

  public async run(): Promise<{apiKey: CreatedApiKeyView}> {
    const name = this.flags.name?.trim()
    if (!name) throw new SignetError('--name is required: say what the key is for, e.g. --name "work laptop pi"')
    const expiresAt = parseExpiresAt(this.flags['expires-at'])
    const permissions = this.flags.permissions
      ?.split(',')
      .map((permission) => permission.trim())
      .filter(Boolean)
    const unknown = permissions?.find((permission) => !PERMISSIONS.includes(permission as never))
    if (unknown) throw new SignetError(`--permissions: unknown permission "${unknown}" (one of ${PERMISSIONS.join(', ')})`)
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const agentId = this.flags['agent-id']
    const response = await client.call('POST /api/auth/api-keys', {
      body: {
        name,
        role: this.flags.role as Role,
        connector: this.flags.connector,
        harness: this.flags.connector,
        agentId,
        scope: {agent: agentId, project: this.flags.project},
        permissions: permissions as Permission[] | undefined,
        expiresAt,
      },
    })
    this.log(renderCreatedKey('API key created:', response.apiKey))
    return response
  }
}
