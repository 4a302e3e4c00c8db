/**
 * Text split into words as the ranker compares them: runs of letters and digits ([\p{L}\p{N}]+, as
 * search-text.ts splits). Proximity and the query-word match walk every candidate's text on each
 * recall, so lowercase ASCII text, the common case, is walked by character code (several times
 * cheaper than the Unicode expression); any other text by the expression.
 */
const WORD = /[\p{L}\p{N}]+/gu
const NOT_ASCII = /[^\p{ASCII}]/u

/** Whether `text` is all ASCII (nothing to normalise, every letter case-folds by itself). */
export function isAscii(text: string): boolean {
  return !NOT_ASCII.test(text)
}

/** Calls `visit(start, end)` for each word of `text`, a lowercased text, in order. */
export function eachWord(text: string, visit: (start: number, end: number) => void): void {
  if (!isAscii(text)) {
    for (const match of text.matchAll(WORD)) visit(match.index, match.index + match[0].length)
    return
  }
  let start = -1
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0
    if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) {
      if (start < 0) start = i
      continue
    }
    if (start < 0) continue
    visit(start, i)
    start = -1
  }
}

/** The first two UTF-16 units of the word text[start, end) as one number: a word is looked at further only when it opens as a wanted one does, and no string is made for the others. */
export function openingOf(text: string, start: number, end: number): number {
  return text.charCodeAt(start) * 65_536 + (end - start > 1 ? text.charCodeAt(start + 1) : 0)
}
