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
