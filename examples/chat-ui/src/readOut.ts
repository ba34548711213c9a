/**
 * Has a screen reader read `lines` out, politely, through the page's hidden `#announcer` region: the last three lines
 * are kept, so that one read out a moment ago is not lost to the next, and older ones do not pile up. Lines that come
 * together (a catch-up's messages) are all kept, however many: one removed in the same task it was added in never
 * reaches the screen reader. What the page says about itself (the connection) has a region of its own, `#news`, so
 * that no burst of messages pushes it out.
 */
export function readOut(...lines: readonly string[]): void {
  const announcer = document.getElementById('announcer')!;
  for (const text of lines) {
    const line = document.createElement('p');
    line.textContent = text;
    announcer.append(line);
  }
  while (announcer.childElementCount > Math.max(3, lines.length)) announcer.firstElementChild!.remove();
}
