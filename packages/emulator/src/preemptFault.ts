import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from './Portal';
import { sendResponse } from './sendResponse';
import type { Fault } from './types';

/**
 * The part of a fault that acts before the call runs: added latency, then a reset, a hang or a replaced body
 * (the portal was never reached). Returns true when the fault has dealt with the reply; otherwise the caller
 * goes on (an error fault, or a body broken on the way out via `sendResponse`'s breakage).
 * `record(status, code)` notes the outcome (the REST handler reads the request, without acting on it, and puts whose
 * call it was on the timeline); the fault acts once that is done. The client sent its whole request either way, so it
 * sees the same: a reset then a reset, a hang no answer, a `body` that body.
 */
export async function preemptFault(
  portal: Portal,
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
  record: (status: number, code: string) => Promise<void>,
): Promise<boolean> {
  portal.stats.faultsHit++;
  if (fault.latencyMs) await portal.delay(fault.latencyMs);
  if (fault.reset && !fault.truncate) {
    await record(0, 'RESET');
    req.socket.destroy();
    return true;
  }
  if (fault.hang) {
    await record(0, 'HANG');
    return true;
  }
  if (fault.body !== undefined) {
    const status = fault.status ?? 200;
    await record(status, 'BODY');
    portal.countStatus(status);
    sendResponse(res, status, fault.body, cors, fault.contentType ?? 'application/json; charset=utf-8', fault);
    return true;
  }
  return false;
}
