import type {ComponentChildren} from 'preact'

import {ApiFailure} from '../api.js'

export function ErrorNote({error}: {error: unknown}) {
  if (!error) return null
  const message = error instanceof ApiFailure ? `${error.message} (${error.code})` : String(error)
  return (
    <p class="error" role="alert">
      {message}
    </p>
  )
}

/** A table that scrolls sideways on a narrow screen, with one header cell per column; children are its rows. */
export function DataTable({columns, testId, children}: {columns: string[]; testId?: string; children: ComponentChildren}) {
  return (
    <div class="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}
