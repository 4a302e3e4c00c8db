/**
 * Dates a recall query names ("what did we decide on 3 June, 2023", "the outage in March 2024",
 * "camping in July"). A memory's createdAt is when it was said, so a memory from the named day or
 * month is more likely the one meant (bench/README.md, "Recall a user trusts": LoCoMo questions
 * name the day of the conversation that answers them).
 *
 * Only explicit calendar dates count: a month name with a day or a year next to it, or "in <month>"
 * ("may" and "march" alone are verbs). Relative dates ("last week") need a "now" the store does not
 * know for the conversation and are left to the words.
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']
const MONTH = `(${MONTHS.join('|')})`
/** Separators are bounded ({1,3}) so no pattern can backtrack over a long run of spaces. */
const DAY_MONTH = new RegExp(String.raw`\b(\d{1,2})(?:st|nd|rd|th)?[ \t]{1,3}(?:of[ \t]{1,3})?${MONTH}\b(?:,?[ \t]{1,3}(\d{4})\b)?`, 'g')
const MONTH_DAY = new RegExp(String.raw`\b${MONTH}[ \t]{1,3}(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)(?:,?[ \t]{1,3}(\d{4})\b)?`, 'g')
const MONTH_YEAR = new RegExp(String.raw`\b${MONTH},?[ \t]{1,3}(\d{4})\b`, 'g')
const IN_MONTH = new RegExp(String.raw`\bin[ \t]{1,3}${MONTH}\b(?![ \t]{0,3},?[ \t]{0,3}\d)`, 'g')

/** A calendar day counts this many days either side (the memory's time is UTC, the speaker's day may not be). */
const DAY_SLACK = 1
const DAY_MS = 86_400_000

/** A day or a month the query names; without a year it matches that day or month of any year. */
export interface NamedDate {
  year?: number
  /** 0–11 */
  month: number
  day?: number
}

/** Every date `text` names, in the forms above, the most precise reading of each stretch of text first. */
export function datesNamedIn(text: string): NamedDate[] {
  const lower = text.toLowerCase()
  const found: NamedDate[] = []
  const taken: Array<[number, number]> = []
  const read = (pattern: RegExp, toDate: (match: RegExpMatchArray) => NamedDate) => {
    for (const match of lower.matchAll(pattern)) {
      const start = match.index ?? 0
      const end = start + match[0].length
      if (taken.some(([from, to]) => start < to && end > from)) continue
      const date = toDate(match)
      if (date.day !== undefined && (date.day < 1 || date.day > 31)) continue
      taken.push([start, end])
      found.push(date)
    }
  }
  const year = (digits: string | undefined) => (digits === undefined ? undefined : Number(digits))
  read(DAY_MONTH, (match) => ({year: year(match[3]), month: MONTHS.indexOf(match[2]), day: Number(match[1])}))
  read(MONTH_DAY, (match) => ({year: year(match[3]), month: MONTHS.indexOf(match[1]), day: Number(match[2])}))
  read(MONTH_YEAR, (match) => ({year: Number(match[2]), month: MONTHS.indexOf(match[1])}))
  read(IN_MONTH, (match) => ({month: MONTHS.indexOf(match[1])}))
  return found
}

/** The time span a dated query names, when it has a year (ISO strings, for the store's createdAt filter). */
export function namedDateSpan(date: NamedDate): {since: string; until: string} | undefined {
  if (date.year === undefined) return undefined
  if (date.day !== undefined) return daySpan(date.year, date.month, date.day)
  return {since: new Date(Date.UTC(date.year, date.month, 1)).toISOString(), until: new Date(Date.UTC(date.year, date.month + 1, 1)).toISOString()}
}

/** Whether a memory created at `createdAt` (ISO) falls on the named day (± DAY_SLACK) or in the named month. */
export function onNamedDate(createdAt: string, date: NamedDate): boolean {
  const created = new Date(createdAt)
  const time = created.getTime()
  if (Number.isNaN(time)) return false
  if (date.day !== undefined) {
    const start = Date.UTC(date.year ?? created.getUTCFullYear(), date.month, date.day)
    return time >= start - DAY_SLACK * DAY_MS && time < start + (DAY_SLACK + 1) * DAY_MS
  }
  return created.getUTCMonth() === date.month && (date.year === undefined || created.getUTCFullYear() === date.year)
}

function daySpan(year: number, month: number, day: number): {since: string; until: string} {
  const start = Date.UTC(year, month, day)
  return {since: new Date(start - DAY_SLACK * DAY_MS).toISOString(), until: new Date(start + (DAY_SLACK + 1) * DAY_MS).toISOString()}
}
