import {expect} from 'vitest'

import type {HttpResponse} from './http-request.js'

/**
 * What every daemon answer must look like, whatever was sent: no 5xx, errors in the
 * `{error, code}` envelope, and a 400 for bad input names the field it is about.
 */
export function expectWellFormedAnswer(response: HttpResponse, context: string, options: {wholeBodyErrors?: boolean} = {}): void {
  expect(response.status, `${context} → ${response.status} ${response.text.slice(0, 300)}`).toBeLessThan(500)
  if (response.status >= 400) {
    expect(response.json, `${context}: error body ${response.text.slice(0, 300)}`).toMatchObject({
      error: expect.any(String),
      code: expect.any(String),
    })
  }
  if (response.status === 400 && response.json?.code === 'invalid_request' && !(options.wholeBodyErrors && response.json.field === undefined)) {
    expect(typeof response.json.field, `${context}: 400 without a field: ${response.text.slice(0, 300)}`).toBe('string')
    expect(response.json.error, `${context}: message does not name the field`).toContain(response.json.field)
  }
}

/** A 400 caused by one hostile field must blame that field (or something inside it). */
export function expectBlames(response: HttpResponse, key: string, context: string): void {
  if (response.status !== 400 || response.json?.code !== 'invalid_request') return
  const field = String(response.json.field)
  expect(field === key || field.startsWith(`${key}.`), `${context}: blamed '${field}', mutated '${key}': ${response.text.slice(0, 300)}`).toBe(true)
}
