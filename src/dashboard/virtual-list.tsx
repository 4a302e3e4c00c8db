import type {ComponentChildren} from 'preact'
import {useEffect, useRef, useState} from 'preact/hooks'

/**
 * Renders only the rows in view (plus a few either side), each at a fixed height, so a list of
 * 100 000 memories costs as much DOM as a list of 30. `onRange` tells the owner which rows are in
 * view so it can fetch the pages it has not loaded yet.
 */
export function VirtualList(props: {
  count: number
  rowHeight: number
  label: string
  renderRow: (index: number) => ComponentChildren
  onRange?: (first: number, last: number) => void
}) {
  const {count, rowHeight, renderRow, onRange} = props
  const scroller = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(600)

  useEffect(() => {
    const element = scroller.current
    if (!element) return
    const measure = () => setHeight(element.clientHeight || 600)
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(element)
    return () => observer.disconnect()
  }, [])

  const overscan = 4
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(count - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan)

  useEffect(() => {
    if (count > 0) onRange?.(first, last)
  }, [first, last, count])

  const rows = []
  for (let index = first; index <= last; index++) {
    rows.push(
      <div
        role="listitem"
        class="vrow"
        key={index}
        style={{top: `${index * rowHeight}px`, height: `${rowHeight}px`}}
        aria-setsize={count}
        aria-posinset={index + 1}
      >
        {renderRow(index)}
      </div>,
    )
  }
  return (
    <div class="vlist" ref={scroller} onScroll={(event) => setScrollTop((event.currentTarget as HTMLDivElement).scrollTop)}>
      <div role="list" aria-label={props.label} class="vspace" style={{height: `${count * rowHeight}px`}}>
        {rows}
      </div>
    </div>
  )
}
