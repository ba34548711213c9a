import type { TimelineEntry } from '@b24-typing/emulator';
import { Observable } from 'rxjs';

/** A timeline entry, or `reset` when the emulator went back to its seed. */
export type FeedEntry = TimelineEntry | { readonly kind: 'reset'; readonly time: number };

/**
 * The emulator's server-sent event stream (`/_emulator/events`): every indicator call, hide and message, replayed
 * from the start (`since=0`) so a page opened late still shows the history. EventSource reconnects by itself and
 * resumes from the last id it saw.
 */
export function emulatorFeed(emulatorUrl: string, onOpen?: () => void): Observable<FeedEntry> {
  return new Observable<FeedEntry>((subscriber) => {
    const source = new EventSource(`${emulatorUrl}/_emulator/events?since=0`);
    source.onopen = () => onOpen?.();
    source.onmessage = (message: MessageEvent<string>) => subscriber.next(JSON.parse(message.data) as FeedEntry);
    return () => source.close();
  });
}
