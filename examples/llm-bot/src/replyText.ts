import type { TextStreamPart, ToolSet } from 'ai';
import { Observable } from 'rxjs';

/**
 * The reply to send, from the same parts the statuses come from: the text of the last step that wrote any (a
 * model may say "let me look that up" before a tool call; the answer is what it writes after). Emits once, on
 * `finish`, then completes. Errors on `abort`, when the model wrote nothing, and when the work ended on an `error`
 * part (with its error) or on a `finish` whose `finishReason` is `'error'` with no `error` part: in each case there
 * is no reply, so the status must be cleared and the user told. As in
 * `statusFromStream`, an `error` part is not the end by itself: `streamText` streams on after one (a provider's
 * unparsable chunk, a tool hook that threw), and a `finish` whose `finishReason` is not `'error'` says the model
 * finished after it, so its text is the reply.
 */
export function replyText(parts: Observable<TextStreamPart<ToolSet>>): Observable<string> {
  return new Observable<string>((subscriber) => {
    let current = '';
    let last = '';
    /** The latest `error` part's error, until a `finish` says the model finished after it. */
    let failure: Error | undefined;
    const settle = () => {
      if (failure) return subscriber.error(failure);
      const text = current.trim() || last.trim();
      if (text) {
        subscriber.next(text);
        subscriber.complete();
      } else subscriber.error(new Error('The model finished without writing a reply'));
    };
    return parts.subscribe({
      next(part) {
        switch (part.type) {
          case 'start-step':
            // A step that wrote only whitespace (a line break after a tool result) wrote no answer: it must not
            // hide the text of the step before it.
            if (current.trim()) last = current;
            current = '';
            break;
          case 'text-delta':
            current += part.text;
            break;
          case 'error':
            failure = modelError(part.error);
            break;
          case 'abort':
            subscriber.error(failure ?? new DOMException('The reply was aborted', 'AbortError'));
            break;
          case 'finish':
            if (part.finishReason !== 'error') failure = undefined;
            // No error part, yet the provider says the work failed (@ai-sdk/google: a malformed function call)
            else failure ??= new Error('The model stopped with an error');
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

/**
 * The error of an `error` part as an Error the user can be told about. Providers do not always put an Error there:
 * `@ai-sdk/openai-compatible` passes an OpenAI-style `{"error": {message, type, code}}` chunk's object as it came,
 * whose String() is "[object Object]". Its `message` is what the provider meant to say; an object without one is
 * not echoed (it may hold anything).
 */
function modelError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (typeof error === 'string' && error !== '') return new Error(error);
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return new Error(typeof message === 'string' && message !== '' ? message : 'The model failed');
}
