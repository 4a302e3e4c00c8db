import type {ImportEntry, SkippedItem} from './peer-memory.js'

/** What an import would do, for `--dry-run`: counts, breakdowns, a few samples, and what is left out and why. */
export interface ImportPlan {
  memories: number
  byType: Record<string, number>
  byProject: Record<string, number>
  /** The most frequent tags, most frequent first. */
  topTags: Array<{tag: string; count: number}>
  samples: Array<{where: string; content: string; type: string; tags: string[]; project: string | null; createdAt: string | null}>
  skipped: {count: number; byReason: Record<string, number>; items: SkippedItem[]}
}

const SAMPLES = 3
const TOP_TAGS = 10
const LISTED_SKIPS = 10

export function planImport(entries: ImportEntry[], skipped: SkippedItem[]): ImportPlan {
  const byType: Record<string, number> = {}
  const byProject: Record<string, number> = {}
  const tagCounts = new Map<string, number>()
  for (const {memory} of entries) {
    const type = memory.type ?? 'fact'
    byType[type] = (byType[type] ?? 0) + 1
    const project = memory.project ?? '(none)'
    byProject[project] = (byProject[project] ?? 0) + 1
    for (const tag of Array.isArray(memory.tags) ? memory.tags : []) tagCounts.set(String(tag), (tagCounts.get(String(tag)) ?? 0) + 1)
  }
  const byReason: Record<string, number> = {}
  for (const item of skipped) {
    // "longer than 100,000 characters (123,456)" groups under its rule, not its length.
    const reason = item.reason.replace(/ \([\d,]+\)$/, '')
    byReason[reason] = (byReason[reason] ?? 0) + 1
  }
  return {
    memories: entries.length,
    byType: sortedRecord(byType),
    byProject: sortedRecord(byProject),
    topTags: [...tagCounts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, TOP_TAGS)
      .map(([tag, count]) => ({tag, count})),
    samples: entries.slice(0, SAMPLES).map(({where, memory}) => ({
      where,
      content: memory.content.length > 160 ? `${memory.content.slice(0, 157)}...` : memory.content,
      type: memory.type ?? 'fact',
      tags: Array.isArray(memory.tags) ? memory.tags.map(String) : [],
      project: memory.project ?? null,
      createdAt: memory.createdAt ?? null,
    })),
    skipped: {count: skipped.length, byReason, items: skipped.slice(0, LISTED_SKIPS)},
  }
}

export function renderPlan(plan: ImportPlan, source: string): string {
  const lines = [`Dry run: would import ${plan.memories.toLocaleString('en')} memories from ${source} (nothing written)`]
  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([name, count]) => `${name} ${count.toLocaleString('en')}`)
      .join(', ')
  if (plan.memories > 0) {
    lines.push(`  by type:    ${list(plan.byType)}`)
    lines.push(`  by project: ${list(plan.byProject)}`)
    if (plan.topTags.length > 0) lines.push(`  top tags:   ${plan.topTags.map(({tag, count}) => `${tag} ${count.toLocaleString('en')}`).join(', ')}`)
    lines.push('  samples:')
    for (const sample of plan.samples) lines.push(`    ${sample.where}  [${sample.type}] ${sample.content.replaceAll('\n', ' ')}`)
  }
  if (plan.skipped.count > 0) {
    lines.push(`  skipped ${plan.skipped.count.toLocaleString('en')}: ${list(plan.skipped.byReason)}`)
    for (const item of plan.skipped.items) lines.push(`    ${item.where}: ${item.reason}`)
    if (plan.skipped.count > plan.skipped.items.length) lines.push(`    … and ${(plan.skipped.count - plan.skipped.items.length).toLocaleString('en')} more`)
  }
  return lines.join('\n')
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
}
