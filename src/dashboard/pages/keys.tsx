import {useEffect, useState} from 'preact/hooks'

import type {ApiKeyView} from '../../api/auth.js'
import type {DeviceView} from '../../api/devices.js'
import type {Role} from '../../api/fields.js'
import {call, when} from '../api.js'
import {DataTable, ErrorNote} from './shared.js'

export function KeysPage() {
  const [keys, setKeys] = useState<ApiKeyView[]>()
  const [devices, setDevices] = useState<DeviceView[]>()
  const [error, setError] = useState<unknown>()
  const [shown, setShown] = useState<{name: string; key: string} | undefined>()
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('agent')

  const reload = () => {
    call('GET /api/auth/api-keys').then((value) => setKeys(value.apiKeys), setError)
    call('GET /api/devices').then((value) => setDevices(value.devices), setError)
  }
  useEffect(reload, [])

  async function act(run: () => Promise<unknown>) {
    setError(undefined)
    try {
      await run()
    } catch (caught) {
      setError(caught)
    }
    reload()
  }

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Keys &amp; devices</h1>
      <ErrorNote error={error} />
      {shown && (
        <div class="once" role="alert">
          <p>
            Key for <strong>{shown.name}</strong> — copy it now, it will not be shown again:
          </p>
          <code data-testid="new-key">{shown.key}</code>
          <button type="button" onClick={() => setShown(undefined)}>
            Done
          </button>
        </div>
      )}
      <h2>Create an API key</h2>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault()
          act(async () => {
            const result = await call('POST /api/auth/api-keys', {body: {name, role}})
            setShown({name: result.apiKey.name, key: result.apiKey.key})
            setName('')
          })
        }}
      >
        <label class="field">
          <span>Name</span>
          <input name="name" required value={name} onInput={(event) => setName((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Role</span>
          <select name="role" value={role} onChange={(event) => setRole((event.currentTarget as HTMLSelectElement).value as Role)}>
            <option value="agent">agent</option>
            <option value="readonly">readonly</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit">Create key</button>
      </form>
      <h2>API keys</h2>
      <DataTable columns={['Name', 'Role', 'Status', 'Last used', 'Actions']}>
        {keys?.map((key) => (
          <tr key={key.id} data-key-id={key.id}>
            <td>
              {key.name}
              <br />
              <span class="muted">{key.prefix}</span>
            </td>
            <td>{key.role}</td>
            <td>{key.status}</td>
            <td>{when(key.lastUsedAt)}</td>
            <td>
              {!key.revokedAt && (
                <>
                  <button
                    type="button"
                    onClick={() =>
                      act(async () => {
                        const result = await call('POST /api/auth/api-keys/:idOrPrefix/rotate', {params: {idOrPrefix: key.id}, body: {}})
                        setShown({name: result.apiKey.name, key: result.apiKey.key})
                      })
                    }
                  >
                    Rotate
                  </button>{' '}
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Revoke key ${key.name}`}
                    onClick={() => act(() => call('DELETE /api/auth/api-keys/:idOrPrefix', {params: {idOrPrefix: key.id}}))}
                  >
                    Revoke
                  </button>
                </>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      <h2>Devices</h2>
      <p class="muted">Add one with signet pair --device on the daemon machine.</p>
      <DataTable columns={['Device', 'Scope', 'Status', 'Last used', 'Actions']}>
        {devices?.map((device) => (
          <tr key={device.id} data-device-id={device.id}>
            <td>
              {device.name}
              {device.current && ' (this device)'}
              <br />
              <span class="muted">{device.id}</span>
            </td>
            <td>{[device.agentId, device.project].filter(Boolean).join(' / ') || 'owner'}</td>
            <td>{device.status}</td>
            <td>{when(device.lastUsedAt)}</td>
            <td>
              {device.status === 'active' && (
                <button
                  type="button"
                  class="danger"
                  aria-label={`Revoke device ${device.name}`}
                  onClick={() => act(() => call('DELETE /api/devices/:id', {params: {id: device.id}}))}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  )
}
