import {accessSync, constants, statSync} from 'node:fs'
import path from 'node:path'

/** The first executable called `name` on PATH, like `command -v`; undefined when there is none. */
export function findExecutableOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of pathEntries(env)) {
    const candidate = path.join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

export function pathEntries(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter((entry) => entry !== '' && path.isAbsolute(entry))
}

/** Is `dir` one of the PATH entries (compared after resolving `..` and trailing slashes)? */
export function isDirOnPath(dir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const wanted = path.resolve(dir)
  return pathEntries(env).some((entry) => path.resolve(entry) === wanted)
}

export function isExecutableFile(file: string): boolean {
  try {
    // Most candidates do not exist: no exception for those (an ENOENT error costs its stack trace).
    if (!statSync(file, {throwIfNoEntry: false})?.isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
