/**
 * Lines given since the page was last drawn, newest last: not exposed to a screen reader yet (the browser updates what
 * it exposes when it draws a frame). Messages that come live in one read of the event stream are dispatched in one
 * task, one `readOut` each: trimming to three at each of them took the first ones out before any frame had them.
 */
let undrawn = 0;

/**
 * While the tab is hidden, the line that stands for the undrawn lines taken out to keep the region bounded (see
 * `readOut`), just before the ones kept, with how many it counts. Once drawn it is a line like the others, and a later
 * hidden stretch gets a count of its own.
 */
let summary: { readonly line: HTMLParagraphElement; count: number } | undefined;

/** Lines kept while the tab is hidden, and kept once drawn: the newest few, read out together. */
const KEEP = 3;

/**
 * Has a screen reader read `lines` out, politely, through the page's hidden `#announcer` region: the last three lines
 * are kept, so that one read out a moment ago is not lost to the next, and older ones do not pile up. A line is never
 * taken out before a frame was drawn with it in (see `undrawn`): lines that come together (a catch-up's messages, a
 * burst of live ones) are all kept, however many, until then; one removed before that never reaches the screen reader.
 * What the page says about itself (the connection) has a region of its own, `#news`, so that no burst of messages
 * pushes it out.
 *
 * A hidden tab draws no frames, for as long as it stays hidden: every line of a busy chat would be kept until it is
 * shown again, a region growing without bound, then read out whole. While hidden, only the newest three are kept,
 * under one line that counts the ones before them ("12 more new messages…"): what a screen reader user needs when
 * back, the messages themselves being in the list (and their number in the tab's title).
 */
export function readOut(...lines: readonly string[]): void {
  const announcer = document.getElementById('announcer')!;
  for (const text of lines) {
    const line = document.createElement('p');
    line.textContent = text;
    announcer.append(line);
  }
  // The frame's callbacks run before it is drawn, with these lines in: from the next task on, they may go.
  if (undrawn === 0 && lines.length > 0) {
    requestAnimationFrame(() => {
      undrawn = 0;
      summary = undefined;
    });
  }
  undrawn += lines.length;
  if (document.visibilityState === 'hidden' && undrawn > KEEP) {
    // The oldest undrawn lines give way to the count (itself an undrawn line, before the ones kept).
    const oldest = (): Element =>
      summary ? summary.line.nextElementSibling! : announcer.children[announcer.childElementCount - undrawn]!;
    let dropped = 0;
    for (; undrawn > KEEP; undrawn--, dropped++) oldest().remove();
    if (!summary) {
      const line = document.createElement('p');
      announcer.insertBefore(line, oldest());
      summary = { line, count: 0 };
    }
    summary.count += dropped;
    const n = summary.count;
    summary.line.textContent = `${n} more new ${n === 1 ? 'message' : 'messages'} came while the page was hidden; the newest follow.`;
  }
  const kept = undrawn + (summary ? 1 : 0);
  while (announcer.childElementCount > Math.max(KEEP, kept)) announcer.firstElementChild!.remove();
}
