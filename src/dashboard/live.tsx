/** Fired on window when the daemon reports a change (Server-Sent Events from /api/dashboard/events). */
export const CHANGE_EVENT = 'signet:change'
