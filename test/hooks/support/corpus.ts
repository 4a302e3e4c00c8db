import type {MemoryRepository} from '../../../src/store/storage.js'

/**
 * Everyday engineering notes that share no distinctive words with the test's subject
 * memories, so BM25 has a realistic document frequency to work with (on a store of three
 * memories every word is "common" and no score means anything).
 */
const SUBJECTS = [
  'the release notes',
  'our standup',
  'the design review',
  'the onboarding doc',
  'the sprint retro',
  'the backlog',
  'the style guide',
  'the team wiki',
  'the roadmap',
  'the incident log',
]
const VERBS = ['mentions', 'lists', 'tracks', 'covers', 'describes', 'links to', 'summarises', 'records', 'explains', 'references']
const OBJECTS = [
  'holiday rota',
  'laptop refresh',
  'office plants',
  'coffee machine',
  'parking permits',
  'hiring plan',
  'quarterly goals',
  'printer queue',
  'meeting rooms',
  'badge access',
  'lunch order',
  'book club',
  'travel policy',
  'desk booking',
  'fire drill',
]
const DETAILS = [
  'for the Lisbon office',
  'owned by Priya',
  'due next month',
  'agreed in March',
  'shared with finance',
  'updated weekly',
  'kept in the drive',
  'raised by Tomas',
  'still open',
  'closed last week',
]

export function fillerNotes(count: number): string[] {
  const notes: string[] = []
  for (let index = 0; index < count; index++) {
    notes.push(`${SUBJECTS[index % 10]} ${VERBS[(index * 3) % 10]} the ${OBJECTS[(index * 7) % 15]} ${DETAILS[(index * 11) % 10]} (note ${index})`)
  }
  return notes
}

/** Filler memories for `agentId`, through the storage's repository (any backend). */
export async function seedFiller(memories: MemoryRepository, count: number, agentId = 'default'): Promise<void> {
  for (const content of fillerNotes(count)) await memories.remember({content, agentId, source: 'test'})
}
