import {useEffect, useRef, useState} from 'preact/hooks'

import type {BodyOf} from '../../api/contract.js'
import type {MemoryView} from '../../api/memory.js'
import {call} from '../api.js'
import {CHANGE_EVENT} from '../live.js'
import {VirtualList} from '../virtual-list.js'
import {ErrorNote} from './shared.js'

/** A listed memory, or a search hit (whose `source` then says how it was found, and which has a score). */
type Memory = MemoryView & {score?: number}
type MemoryPatch = BodyOf<'PATCH /api/memory/:id'>

interface Filters {
  q: string
  agentId: string
  project: string
  tag: string
  type: string
}

const PAGE = 500
/** Phones stack a row's actions under its text. */
const ROW_HEIGHT = matchMedia('(max-width: 720px)').matches ? 150 : 112
/** How long a forget can still be undone before it is sent to the daemon. */
export const UNDO_MS = 5000

/**
 * Why a search hit is listed: how it was found — its words (full text), its meaning (vector), both,
 * or as context stored alongside a match — and which query words it contains.
 */
function why(memory: Memory, q: string): string {
  const words = q
    .toLowerCase()
    .split(/\W+/)
    .filter((word) => word.length > 2)
  const text = memory.content.toLowerCase()
  const matched = words.filter((word) => text.includes(word))
  const how =
    memory.source === 'vector'
      ? 'meaning'
      : memory.source === 'hybrid'
        ? 'words and meaning'
        : memory.source === 'context'
          ? 'context: stored alongside a match'
          : 'words'
  return matched.length > 0 ? `${how}: ${matched.join(', ')}` : how
}

export function MemoriesPage() {
  const [filters, setFilters] = useState<Filters>({q: '', agentId: '', project: '', tag: '', type: ''})
  const [items, setItems] = useState<(Memory | undefined)[]>([])
  const [total, setTotal] = useState(0)
  const [searching, setSearching] = useState(false)
  const [error, setError] = useState<unknown>()
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [editing, setEditing] = useState<Memory | undefined>()
  const [pending, setPending] = useState<{memories: Memory[]; timer: number} | undefined>()
  /** Changes arrived while the list was on screen: offered, not applied, so rows never jump under a finger. */
  const [stale, setStale] = useState(false)
  const generation = useRef(0)
  const loadedPages = useRef(new Set<number>())
  const pendingRef = useRef(pending)
  pendingRef.current = pending

  const filterParams = () => ({agentId: filters.agentId || undefined, project: filters.project || undefined, type: filters.type || undefined})

  async function loadPage(page: number, run: number) {
    if (loadedPages.current.has(page)) return
    loadedPages.current.add(page)
    try {
      const result = await call('GET /api/memories', {query: {...filterParams(), tags: filters.tag || undefined, limit: PAGE, offset: page * PAGE}})
      if (run !== generation.current) return
      setTotal(result.total)
      setItems((previous) => {
        const next = previous.length === result.total ? previous.slice() : Array.from({length: result.total}, (_, index) => previous[index])
        result.memories.forEach((memory, offset) => (next[page * PAGE + offset] = memory))
        return next
      })
    } catch (caught) {
      loadedPages.current.delete(page)
      setError(caught)
    }
  }

  // A new search or filter starts over; typing is debounced so each keystroke is not a request.
  useEffect(() => {
    const run = ++generation.current
    loadedPages.current = new Set()
    setStale(false)
    setSelected(new Set())
    setError(undefined)
    const timer = setTimeout(
      async () => {
        if (filters.q.trim() === '') {
          setSearching(false)
          setItems([])
          setTotal(0)
          await loadPage(0, run)
          return
        }
        setSearching(true)
        try {
          const result = await call('POST /api/memory/recall', {
            body: {query: filters.q, limit: 100, ...filterParams(), tags: filters.tag ? [filters.tag] : undefined},
          })
          if (run !== generation.current) return
          setItems(result.results)
          setTotal(result.results.length)
        } catch (caught) {
          setError(caught)
        }
      },
      filters.q.trim() === '' ? 0 : 200,
    )
    return () => clearTimeout(timer)
  }, [filters])

  useEffect(() => {
    const mark = () => setStale(true)
    addEventListener(CHANGE_EVENT, mark)
    return () => removeEventListener(CHANGE_EVENT, mark)
  }, [])

  // Forgets still waiting for their undo window are sent when the page goes away.
  useEffect(() => () => flushPending(pendingRef.current), [])

  function flushPending(batch: typeof pending) {
    if (!batch) return
    clearTimeout(batch.timer)
    for (const memory of batch.memories) call('DELETE /api/memory/:id', {params: {id: memory.id}, query: {agentId: memory.agentId}}).catch(setError)
  }

  function forget(memories: Memory[]) {
    flushPending(pending)
    const ids = new Set(memories.map((memory) => memory.id))
    setItems((previous) => previous.filter((memory) => !memory || !ids.has(memory.id)))
    setTotal((previous) => previous - memories.length)
    setSelected(new Set())
    const batch = {memories, timer: 0}
    batch.timer = window.setTimeout(() => {
      flushPending(batch)
      setPending((current) => (current === batch ? undefined : current))
    }, UNDO_MS)
    setPending(batch)
  }

  function undo() {
    if (!pending) return
    clearTimeout(pending.timer)
    setPending(undefined)
    setFilters({...filters})
  }

  async function save(memory: Memory, patch: MemoryPatch) {
    try {
      const result = await call('PATCH /api/memory/:id', {params: {id: memory.id}, query: {agentId: memory.agentId}, body: patch})
      setItems((previous) =>
        previous.map((item) => (item && item.id === memory.id ? {...item, ...result.memory, score: item.score, source: item.source} : item)),
      )
      return true
    } catch (caught) {
      setError(caught)
      return false
    }
  }

  const field = (name: keyof Filters, label: string, placeholder = '') => (
    <label class="field">
      <span>{label}</span>
      <input
        name={name}
        type={(name === 'q' ? 'search' : 'text') as 'text'}
        value={filters[name]}
        placeholder={placeholder}
        onInput={(event) => setFilters({...filters, [name]: (event.currentTarget as HTMLInputElement).value})}
      />
    </label>
  )

  const visible = items
  return (
    <section aria-labelledby="memories-title" class="memories">
      <h1 id="memories-title">Memories</h1>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        {field('q', 'Search', 'what do you remember about…')}
        {field('agentId', 'Agent', 'default')}
        {field('project', 'Project')}
        {field('tag', 'Tag')}
        {field('type', 'Type', 'fact, decision…')}
      </form>
      <ErrorNote error={error} />
      <div class="toolbar">
        <span aria-live="polite" data-testid="memory-total">
          {searching ? `${total} matches` : `${total} memories`}
        </span>
        {stale && !pending && (
          <button type="button" onClick={() => setFilters({...filters})}>
            New changes · Refresh
          </button>
        )}
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => forget(visible.filter((memory): memory is Memory => !!memory && selected.has(memory.id)))}
        >
          Forget selected ({selected.size})
        </button>
      </div>
      <VirtualList
        count={visible.length}
        rowHeight={ROW_HEIGHT}
        label="Memories"
        onRange={(first, last) => {
          if (searching) return
          for (let page = Math.floor(first / PAGE); page <= Math.floor(last / PAGE); page++) if (!visible[page * PAGE]) loadPage(page, generation.current)
        }}
        renderRow={(index) => {
          const memory = visible[index]
          if (!memory) return <p class="muted">Loading…</p>
          return (
            <article class="memory" aria-label={`Memory ${memory.id}`}>
              <input
                type="checkbox"
                aria-label="Select for bulk forget"
                checked={selected.has(memory.id)}
                onChange={(event) => {
                  const next = new Set(selected)
                  if ((event.currentTarget as HTMLInputElement).checked) next.add(memory.id)
                  else next.delete(memory.id)
                  setSelected(next)
                }}
              />
              <div class="memory-body">
                <p class="content">
                  {memory.pinned && <span class="pin">pinned</span>}
                  {memory.content}
                </p>
                <p class="meta">
                  {memory.type} · {memory.project ?? 'global'} · {memory.agentId}
                  {memory.tags.length > 0 && ` · #${memory.tags.join(' #')}`}
                </p>
                {memory.score !== undefined && (
                  <p class="why" data-testid="why">
                    score {memory.score.toFixed(2)} · {why(memory, filters.q)}
                  </p>
                )}
              </div>
              <div class="actions">
                <button type="button" onClick={() => setEditing(memory)}>
                  Edit
                </button>
                <button type="button" aria-pressed={memory.pinned} onClick={() => save(memory, {pinned: !memory.pinned})}>
                  {memory.pinned ? 'Unpin' : 'Pin'}
                </button>
                <button type="button" class="danger" onClick={() => forget([memory])}>
                  Forget
                </button>
              </div>
            </article>
          )
        }}
      />
      {pending && (
        <div class="toast" role="status">
          Forgot {pending.memories.length} {pending.memories.length === 1 ? 'memory' : 'memories'}.{' '}
          <button type="button" onClick={undo}>
            Undo
          </button>
        </div>
      )}
      {editing && <EditDialog memory={editing} onClose={() => setEditing(undefined)} onSave={(patch) => save(editing, patch)} />}
    </section>
  )
}

function EditDialog(props: {memory: Memory; onClose: () => void; onSave: (patch: MemoryPatch) => Promise<boolean>}) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [content, setContent] = useState(props.memory.content)
  const [tags, setTags] = useState(props.memory.tags.join(', '))
  const [type, setType] = useState(props.memory.type)

  useEffect(() => {
    dialog.current?.showModal()
  }, [])

  return (
    <dialog ref={dialog} aria-labelledby="edit-title" onClose={props.onClose}>
      <form
        method="dialog"
        onSubmit={async (event) => {
          event.preventDefault()
          const patch = {
            content,
            tags: tags
              .split(',')
              .map((tag) => tag.trim())
              .filter(Boolean),
            type,
          }
          if (await props.onSave(patch)) dialog.current?.close()
        }}
      >
        <h2 id="edit-title">Edit memory</h2>
        <label class="field">
          <span>Content</span>
          <textarea name="content" rows={6} value={content} onInput={(event) => setContent((event.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <label class="field">
          <span>Tags (comma separated)</span>
          <input name="tags" value={tags} onInput={(event) => setTags((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Type</span>
          <input name="type" value={type} onInput={(event) => setType((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <div class="actions">
          <button type="submit">Save</button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  )
}
