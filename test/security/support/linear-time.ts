import os from 'node:os'

import {expect} from 'vitest'

export const KIB = 1024
export const MIB = 1024 * KIB

/** `unit` repeated to exactly `size` characters: the shape of every input that makes a backtracking regex quadratic. */
export function repeatTo(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
}

/**
 * The machine is shared (2 cores, several test runs at once), so bounds scale with the load average and
 * never go below 2x. Quadratic code misses them by 100x and more, so this still catches it.
 */
export function loadFactor(): number {
  return Math.max(2, os.loadavg()[0] / os.cpus().length)
}

/**
 * CPU time of this process, not wall time: on a loaded machine a 10 ms job is preempted and takes
 * 30 ms of wall time while a 1 ms job rarely is, which makes linear code look quadratic.
 */
function cpuMs(work: () => void): number {
  const before = process.cpuUsage()
  work()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

function fastestOf(runs: number, work: () => void): number {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) best = Math.min(best, cpuMs(work))
  return best
}

/**
 * Runs `fn` on inputs of 16 KiB, 64 KiB, 256 KiB and 1 MiB and asserts linear time: each size stays
 * within its share of `budgetMs` (CPU time, scaled by the load, never under `floorMs`), and the last
 * 4x step costs at most `maxRatio` times the one before (quadratic costs 16x). Sizes grow only while
 * the smaller ones passed, so quadratic code fails in seconds instead of running for minutes.
 */
export function expectLinear(
  label: string,
  fn: (input: string) => unknown,
  makeInput: (size: number) => string,
  options: {budgetMs?: number; maxRatio?: number; floorMs?: number} = {},
): number {
  const {budgetMs = 50, maxRatio = 10, floorMs = 8} = options
  fn(makeInput(16 * KIB)) // compile the regexes before timing anything
  let previous = 0
  for (const size of [16 * KIB, 64 * KIB, 256 * KIB, MIB]) {
    const input = makeInput(size)
    const ms = fastestOf(size === MIB ? 3 : 2, () => fn(input))
    const bound = Math.max(floorMs, (budgetMs * size) / MIB) * loadFactor()
    expect(ms, `${label}: ${size / KIB} KiB took ${ms.toFixed(1)} ms of CPU (bound ${bound.toFixed(0)} ms)`).toBeLessThanOrEqual(bound)
    if (size === MIB) {
      expect(
        Math.max(ms, floorMs) / Math.max(previous, floorMs),
        `${label}: 1 MiB took ${ms.toFixed(1)} ms after ${previous.toFixed(1)} ms at 256 KiB`,
      ).toBeLessThanOrEqual(maxRatio)
      return ms
    }
    previous = ms
  }
  return previous
}
