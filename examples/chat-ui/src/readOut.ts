/**
 * Has a screen reader read `text` out, politely, through the page's hidden `#announcer` region: the last three lines
 * are kept, so that one read out a moment ago is not lost to the next, and older ones do not pile up.
 */
export function readOut(text: string): void {
  const announcer = document.getElementById('announcer')!;
  const line = document.createElement('p');
  line.textContent = text;
  announcer.append(line);
  while (announcer.childElementCount > 3) announcer.firstElementChild!.remove();
}
