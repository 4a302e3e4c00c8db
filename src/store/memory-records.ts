import {randomUUID} from 'node:crypto'

import {contentHash} from './content-hash.js'
import type {MemoryPatch, MemoryRow, RememberInput} from './memories.js'
import {redactText} from './redaction.js'

/**
 * The backend-neutral part of the memories table: what a row holds for an input and a patch,
 * with every stored text field redacted. Both the SQLite store (memories.ts) and the PostgreSQL
 * one build their rows here, so redaction, dedup hashing and defaults cannot drift apart.
 */

/**
 * Every stored text field passes through here on its way into the memories table (content, tags,
 * project, machine, harness): one choke point, so no route can forget a field. Agent ids, session
 * and idempotency keys are identifiers the caller looks rows up by, so they are kept as sent.
 */
export function redactOptional(value: string | null | undefined): string | null {
  return value ? redactText(value) : null
}

/** An input with every stored text field redacted (see redactOptional). */
export function redactMemoryInput(input: RememberInput): RememberInput {
  return {
    ...input,
    content: redactText(input.content),
    tags: input.tags?.map(redactText),
    project: redactOptional(input.project),
    machineId: redactOptional(input.machineId),
    harness: redactOptional(input.harness),
  }
}

export type NewMemoryRow = Omit<MemoryRow, 'seq' | 'deleted_at'>

/** The row remember and importMany insert (from a redacted input). */
export function newMemoryRow(input: RememberInput, hash: string, now: string): NewMemoryRow {
  return {
    id: randomUUID(),
    content: input.content,
    content_hash: hash,
    type: input.type ?? 'fact',
    tags: JSON.stringify(normalizeTags(input.tags ?? [])),
    importance: input.importance ?? 0.5,
    pinned: input.pinned ? 1 : 0,
    agent_id: input.agentId,
    project: input.project || null,
    source: input.source ?? 'manual',
    harness: input.harness ?? null,
    key_id: input.keyId ?? null,
    machine_id: input.machineId ?? null,
    session_key: input.sessionKey ?? null,
    idempotency_key: input.idempotencyKey ?? null,
    created_at: input.createdAt ?? now,
    updated_at: now,
  }
}

/**
 * The row after a patch (redacted, content re-hashed), without its new updated_at. The caller
 * still checks the (agent, project, hash) clash when content or project moved: `movesIdentity`.
 */
export function applyMemoryPatch<Row extends MemoryRow>(row: Row, patch: MemoryPatch): {next: Row; movesIdentity: boolean} {
  const next = {...row}
  if (patch.content !== undefined) {
    next.content = redactText(patch.content)
    next.content_hash = contentHash(next.content)
  }
  if (patch.type !== undefined) next.type = patch.type
  if (patch.tags !== undefined) next.tags = JSON.stringify(normalizeTags(patch.tags.map(redactText)))
  if (patch.importance !== undefined) next.importance = patch.importance
  if (patch.pinned !== undefined) next.pinned = patch.pinned ? 1 : 0
  if (patch.project !== undefined) next.project = redactOptional(patch.project)
  return {next, movesIdentity: patch.content !== undefined || patch.project !== undefined}
}

export function normalizeTags(tags: string[]): string[] {
  const seen = new Set<string>()
  for (const tag of tags) {
    const clean = tag.trim().toLowerCase()
    if (clean) seen.add(clean)
  }
  return [...seen]
}
