import {readFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from './daemon.js'
import {prng} from './stats.js'

/** The 30k English words shipped for the local embedder, most frequent first. */
function vocabulary() {
  const bytes = readFileSync(path.join(ROOT, 'assets/static-vectors/glove-30k-100d.bin'))
  const headerLength = bytes.readUInt32LE(4)
  const wordsAt = 8 + headerLength
  const wordsLength = bytes.readUInt32LE(wordsAt)
  return bytes.toString('utf8', wordsAt + 4, wordsAt + 4 + wordsLength).split('\n')
}

/**
 * Synthetic memories with a natural (Zipf) word distribution, 8–40 words each, deterministic
 * for a seed, so every run measures the same corpus.
 */
export function syntheticMemories(count, seed = 7) {
  return Array.from(syntheticMemoryStream(count, seed))
}

/**
 * The same memories one at a time (B8 loads a million without holding them all): for a seed, the
 * first n of a longer stream are exactly syntheticMemories(n).
 */
export function* syntheticMemoryStream(count, seed = 7) {
  const words = vocabulary()
  const random = prng(seed)
  // Zipf(s≈1) sampling by inverse CDF over ranks.
  const harmonic = []
  let sum = 0
  for (let rank = 1; rank <= words.length; rank++) {
    sum += 1 / rank
    harmonic.push(sum)
  }
  const pick = () => {
    const target = random() * sum
    let lo = 0
    let hi = harmonic.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (harmonic[mid] < target) lo = mid + 1
      else hi = mid
    }
    return words[lo]
  }
  for (let i = 0; i < count; i++) {
    const length = 8 + Math.floor(random() * 33)
    const sentence = Array.from({length}, pick).join(' ')
    yield `${sentence} (#${i})`
  }
}
