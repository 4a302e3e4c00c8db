import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {parse as parseYaml, YAMLParseError} from 'yaml'

import {SignetError} from '../errors.js'
import {readBoundedText} from './bounded-file.js'
import {PeerReadBuilder, toImportMemory, type PeerRead} from './peer-memory.js'

/*
 * basic-memory keeps knowledge as Markdown files: YAML frontmatter (title, type, tags, permalink,
 * any custom fields), free prose, observations `- [category] text #tag (context)` and relations
 * `- relation_type [[Other Note]]`. Each observation becomes one memory (its category is the
 * memory type); the rest of a note's prose becomes one memory of type `note`. Relations link
 * notes, not facts, and are left out.
 */

const MAX_FILE_BYTES = 4 * 1024 * 1024
const MAX_FILES = 100_000

export function readBasicMemory(folder: string): PeerRead {
  let stats
  try {
    stats = statSync(folder)
  } catch (error) {
    throw new SignetError(`cannot read ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  if (!stats.isDirectory()) throw new SignetError(`${folder} is not a folder — basic-memory imports read a project folder of .md notes`)
  const files = markdownFiles(folder)
  if (files.length === 0) throw new SignetError(`${folder} holds no .md notes`)
  const result = new PeerReadBuilder()
  for (const file of files) readNote(folder, file, result)
  return result
}

/** Every .md file under the folder in a stable order, skipping hidden folders (.git, .obsidian, .basic-memory). */
function markdownFiles(root: string): string[] {
  const found: string[] = []
  const pending = [root]
  while (pending.length > 0) {
    const dir = pending.pop() as string
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      if (entry.name.startsWith('.')) continue
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) pending.push(full)
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.md')) {
        found.push(full)
        if (found.length > MAX_FILES)
          throw new SignetError(`${root} holds more than ${MAX_FILES.toLocaleString('en')} notes — import its subfolders one at a time`)
      }
    }
  }
  return found.sort()
}

function readNote(root: string, file: string, result: PeerReadBuilder): void {
  const name = path.relative(root, file)
  const source = readBoundedText(file, MAX_FILE_BYTES)
  const lines = source.split(/\r?\n/)
  const {frontmatter, bodyStart} = readFrontmatter(lines, name)
  const title = stringField(frontmatter.title) ?? path.basename(file, path.extname(file))
  const noteTags = tagList(frontmatter.tags)
  const createdAt = dateField(frontmatter.created) ?? dateField(frontmatter.date) ?? statSync(file).mtime.toISOString()
  const project = stringField(frontmatter.project)
  const prose: string[] = []
  let proseLine = 0
  let inFence = false
  for (let index = bodyStart; index < lines.length; index++) {
    const line = lines[index]
    const trimmed = line.trim()
    if (trimmed.startsWith('```') || trimmed.startsWith('~~~')) inFence = !inFence
    const observation = inFence ? undefined : parseObservation(trimmed)
    if (observation) {
      result.add(
        toImportMemory(
          {
            content: `${title}: ${observation.text}`,
            type: observation.category,
            tags: [...noteTags, ...observation.tags],
            project,
            createdAt,
            origin: 'basic-memory',
          },
          `${name}:${index + 1}`,
        ),
      )
      continue
    }
    if (!inFence && (isRelation(trimmed) || trimmed === `# ${title}` || /^#{1,6} (observations|relations)$/i.test(trimmed))) continue
    if (trimmed !== '' && proseLine === 0) proseLine = index + 1
    prose.push(line)
  }
  const body = prose.join('\n').trim()
  if (body !== '') {
    result.add(
      toImportMemory(
        {
          content: `${title}\n\n${body}`,
          type: stringField(frontmatter.type) ?? 'note',
          tags: noteTags,
          project,
          createdAt,
          origin: 'basic-memory',
        },
        `${name}:${proseLine}`,
      ),
    )
  }
}

function readFrontmatter(lines: string[], name: string): {frontmatter: Record<string, unknown>; bodyStart: number} {
  if (lines[0]?.trim() !== '---') return {frontmatter: {}, bodyStart: 0}
  let end = -1
  for (let index = 1; index < lines.length; index++) {
    if (lines[index].trim() === '---') {
      end = index
      break
    }
  }
  if (end === -1) throw new SignetError(`${name}:1: frontmatter starts with --- but never ends — add a closing --- line`)
  let value: unknown
  try {
    // Aliases are capped so a crafted note cannot expand into gigabytes ("billion laughs").
    value = parseYaml(lines.slice(1, end).join('\n'), {maxAliasCount: 50})
  } catch (error) {
    const line = error instanceof YAMLParseError && error.linePos ? error.linePos[0].line + 1 : 2
    throw new SignetError(`${name}:${line}: frontmatter is not valid YAML (${(error as Error).message.split('\n')[0]})`)
  }
  if (value === null || value === undefined) return {frontmatter: {}, bodyStart: end + 1}
  if (typeof value !== 'object' || Array.isArray(value)) throw new SignetError(`${name}:2: frontmatter must be key: value pairs`)
  return {frontmatter: value as Record<string, unknown>, bodyStart: end + 1}
}

/** `- [category] text #tag (context)`: scanned by hand, one pass, no backtracking. */
function parseObservation(line: string): {category: string; text: string; tags: string[]} | undefined {
  if (!line.startsWith('- [') && !line.startsWith('* [')) return undefined
  const close = line.indexOf(']', 3)
  if (close === -1) return undefined
  const category = line.slice(3, close).trim()
  // `- [ ]` and `- [x]` are Markdown task boxes, not observations.
  if (category === '' || category === 'x' || category === 'X') return undefined
  const text = line.slice(close + 1).trim()
  if (text === '' || text.startsWith('(')) return undefined
  const tags: string[] = []
  for (const word of text.split(/\s+/)) {
    if (word.length > 1 && word.startsWith('#') && word[1] !== '#') tags.push(trimTrailingPunctuation(word.slice(1)))
  }
  return {category, text, tags}
}

function trimTrailingPunctuation(word: string): string {
  let end = word.length
  while (end > 0 && '.,;:!?)'.includes(word[end - 1])) end--
  return word.slice(0, end)
}

function isRelation(line: string): boolean {
  if (!line.startsWith('- ') && !line.startsWith('* ')) return false
  const open = line.indexOf('[[')
  return open > 2 && line.indexOf(']]', open) > open
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

function dateField(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString()
  return undefined
}

/** A YAML list or a comma-separated string, as basic-memory accepts both. */
function tagList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((tag): tag is string => typeof tag === 'string')
  if (typeof value === 'string')
    return value
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean)
  return []
}
