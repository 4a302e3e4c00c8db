import {Buffer} from 'node:buffer'

/**
 * The longest Unix socket path the platform accepts: `sun_path` is 108 bytes on Linux and 104 on
 * macOS/BSD, both including the terminating NUL. A longer path cannot be bound or dialled (older
 * libuv silently truncated it, which would dial some other file), so both the daemon and the
 * clients check it before using the socket.
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103

/** Can this path be used as a Unix socket on this platform? (Windows named pipes are not used.) */
export function socketPathUsable(socketPath: string): boolean {
  return process.platform !== 'win32' && Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES
}

/**
 * Set on the Node request object by the daemon's socket listener: the request came through
 * `.daemon/signet.sock`, so its sender could enter the owner's 0700 `.daemon/` directory. The auth
 * middleware reads it; no header or TCP request can set it.
 */
export const ARRIVED_ON_LOCAL_SOCKET = Symbol.for('signet.arrivedOnLocalSocket')

export function arrivedOnLocalSocket(incoming: unknown): boolean {
  return typeof incoming === 'object' && incoming !== null && (incoming as Record<symbol, unknown>)[ARRIVED_ON_LOCAL_SOCKET] === true
}
