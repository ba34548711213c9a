import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from './Portal';
import { sendResponse } from './sendResponse';
import type { Fault } from './types';

/**
 * The part of a fault that acts before the call runs: added latency, then a reset, a hang or a replaced body
 * (the portal was never reached). Returns true when the fault has dealt with the reply; otherwise the caller
 * goes on (an error fault, or a body broken on the way out via `sendResponse`'s breakage).
 * `record(status, code)` notes the outcome (the REST handler puts it on the timeline).
 */
export async function preemptFault(
  portal: Portal,
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
  record: (status: number, code: string) => void,
): Promise<boolean> {
  portal.stats.faultsHit++;
  if (fault.latencyMs) await portal.delay(fault.latencyMs);
  if (fault.reset && !fault.truncate) {
    record(0, 'RESET');
    req.socket.destroy();
    return true;
  }
  if (fault.hang) {
    record(0, 'HANG');
    return true;
  }
  if (fault.body !== undefined) {
    const status = fault.status ?? 200;
    record(status, 'BODY');
    portal.countStatus(status);
    sendResponse(res, status, fault.body, cors, fault.contentType ?? 'application/json; charset=utf-8', fault);
    return true;
  }
  return false;
}
