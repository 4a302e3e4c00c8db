/**
 * Words as a text index sees them: runs of letters and digits, lowercased, diacritics removed
 * ("Café" → "cafe"). This is what SQLite's FTS5 tokenizer (unicode61, remove_diacritics 2) does and
 * what query-terms.ts splits a query into, so a backend whose own parser differs (PostgreSQL's
 * splits e-mail addresses, host names, paths and version numbers as whole tokens, and depends on
 * the database's locale for non-ASCII letters) indexes the same words when given this text.
 */
export function searchWords(text: string): string[] {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
  return Array.from(folded.matchAll(/[\p{L}\p{N}]+/gu), (match) => match[0])
}

/** searchWords joined by single spaces: the text handed to the index. */
export function searchText(text: string): string {
  return searchWords(text).join(' ')
}
