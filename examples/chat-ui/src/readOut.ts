/**
 * Lines given since the page was last drawn, newest last: not exposed to a screen reader yet (the browser updates what
 * it exposes when it draws a frame). Messages that come live in one read of the event stream are dispatched in one
 * task, one `readOut` each: trimming to three at each of them took the first ones out before any frame had them.
 */
let undrawn = 0;

/**
 * Has a screen reader read `lines` out, politely, through the page's hidden `#announcer` region: the last three lines
 * are kept, so that one read out a moment ago is not lost to the next, and older ones do not pile up. A line is never
 * taken out before a frame was drawn with it in (see `undrawn`): lines that come together (a catch-up's messages, a
 * burst of live ones) are all kept, however many, until then; one removed before that never reaches the screen reader.
 * (A hidden tab draws no frames: its lines are kept until it is shown again.) What the page says about itself (the
 * connection) has a region of its own, `#news`, so that no burst of messages pushes it out.
 */
export function readOut(...lines: readonly string[]): void {
  const announcer = document.getElementById('announcer')!;
  for (const text of lines) {
    const line = document.createElement('p');
    line.textContent = text;
    announcer.append(line);
  }
  // The frame's callbacks run before it is drawn, with these lines in: from the next task on, they may go.
  if (undrawn === 0 && lines.length > 0) requestAnimationFrame(() => (undrawn = 0));
  undrawn += lines.length;
  while (announcer.childElementCount > Math.max(3, undrawn)) announcer.firstElementChild!.remove();
}
