import type { TextStreamPart, ToolSet } from 'ai';
import { Observable } from 'rxjs';

/**
 * The reply to send, from the same parts the statuses come from: the text of the last step that wrote any (a
 * model may say "let me look that up" before a tool call; the answer is what it writes after). Emits once, on
 * `finish`, then completes. Errors on an `error` part (with its error), on `abort`, and when the model wrote
 * nothing: in each case there is no reply, so the status must be cleared and the user told.
 */
export function replyText(parts: Observable<TextStreamPart<ToolSet>>): Observable<string> {
  return new Observable<string>((subscriber) => {
    let current = '';
    let last = '';
    const settle = () => {
      const text = (current || last).trim();
      if (text) {
        subscriber.next(text);
        subscriber.complete();
      } else subscriber.error(new Error('The model finished without writing a reply'));
    };
    return parts.subscribe({
      next(part) {
        switch (part.type) {
          case 'start-step':
            if (current) last = current;
            current = '';
            break;
          case 'text-delta':
            current += part.text;
            break;
          case 'error':
            subscriber.error(part.error instanceof Error ? part.error : new Error(String(part.error)));
            break;
          case 'abort':
            subscriber.error(new DOMException('The reply was aborted', 'AbortError'));
            break;
          case 'finish':
            settle();
            break;
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        if (!subscriber.closed) settle();
      },
    });
  });
}
