import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * POSTs a form-encoded event to a bot's handler and resolves with its status (or the connection error).
 * No retries: the platform does not guarantee them either (reference §4.4). `timeoutMs` bounds the whole delivery,
 * not the silence between bytes: a handler that trickles its reply must not hold the delivery (and `settled()`) for
 * ever.
 */
export function deliverWebhook(
  url: string,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ status: number | null; error: string | null }> {
  return new Promise((outcome) => {
    let deadline: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const resolve = (result: { status: number | null; error: string | null }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outcome(result);
    };
    /** The handler's status once its headers are in: a reply cut off by the deadline still says what it began. */
    let status: number | null = null;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: null, error: 'invalid URL' });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Bitrix24 Webhook Engine (b24-emulator)',
        },
        // Bot handlers in local development often run on self-signed certificates; this is a test double.
        rejectUnauthorized: false,
        // The emulator closing ends a delivery still waiting for its handler.
        ...(signal ? { signal } : {}),
      },
      (res) => {
        status = res.statusCode ?? null;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
        res.on('error', (error) => resolve({ status: res.statusCode ?? null, error: error.message }));
      },
    );
    deadline = setTimeout(() => {
      resolve({ status, error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => resolve({ status: null, error: error.message }));
    req.end(body);
  });
}
