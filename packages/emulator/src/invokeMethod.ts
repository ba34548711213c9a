import { BOT_METHODS } from './botMethods';
import { CHAT_METHODS } from './chatMethods';
import { restError } from './errorCatalog';
import { faultError } from './FaultBook';
import { INDICATOR_METHODS } from './indicatorMethods';
import { LEGACY_BOT_METHODS } from './legacyBotMethods';
import { MESSAGE_METHODS } from './messageMethods';
import { type AuthContext, type CallRecord, emptyRecord, type MethodDefinition } from './methodContext';
import type { Params } from './phpQuery';
import type { Portal } from './Portal';
import { RestError } from './RestError';

const METHODS: ReadonlyMap<string, MethodDefinition> = new Map(
  [...INDICATOR_METHODS, ...MESSAGE_METHODS, ...CHAT_METHODS, ...BOT_METHODS, ...LEGACY_BOT_METHODS].map((m) => [
    m.name.toLowerCase(),
    m,
  ]),
);
/** Hidden alias of `im.dialog.writing` (reference §1.1). */
const ALIASES: ReadonlyMap<string, string> = new Map([['im.chat.sendtyping', 'im.dialog.writing']]);

/** A method by name as a call gives it (case-insensitive, aliases included); undefined when there is none. */
function methodDefinition(methodName: string): MethodDefinition | undefined {
  const key = methodName.toLowerCase();
  return METHODS.get(ALIASES.get(key) ?? key);
}

/**
 * The timeline record of a call refused before its method ran (rate limit, fault, scope, operating limit, auth):
 * whose call it was, read from its parameters and, when they authenticated (`auth`), its credentials, without
 * acting on either (the method's `subject`). The rest stays empty: nothing was shown. So a test can tell whose
 * indicator a refusal held up; a method without a `subject` (or no method) gives an empty record.
 */
export function refusedRecord(
  portal: Portal,
  methodName: string,
  params: Params,
  auth: AuthContext | null,
): CallRecord {
  const record = emptyRecord();
  methodDefinition(methodName)?.subject?.(params, auth, portal.model, record);
  return record;
}

export interface Operating {
  operating: number;
  resetAt: number;
}

/**
 * One method call after auth: lookup (case-insensitive), scope, operating limit, handler, timeline entry.
 * Shared by plain calls and batch commands (`batchId` set), where error faults for the method apply too.
 */
export function invokeMethod(
  portal: Portal,
  methodName: string,
  params: Params,
  auth: AuthContext,
  batchId: number | null,
): { result: unknown; operating: Operating | null; finished: number } {
  const definition = methodDefinition(methodName);
  portal.countMethod(methodName.toLowerCase());
  portal.receive(methodName, params, batchId);
  let rec = emptyRecord();
  let ran = false;
  // A clock that fails on this first reading leaves the call no time of its own: it is recorded (below) at the
  // portal's last reading, as every other failure is recorded.
  let started = portal.lastKnownNow;
  const name = definition?.name ?? methodName;
  try {
    started = portal.now();
    if (!definition) throw restError('ERROR_METHOD_NOT_FOUND');
    if (batchId !== null) throwCommandFault(portal, definition.name);
    if (!auth.scopes.has(definition.scope)) {
      throw auth.type === 'webhook'
        ? restError('insufficient_scope')
        : restError('insufficient_scope', 'The request requires higher privileges than provided by the access token');
    }
    const opKey = `${auth.identity}|${definition.name}`;
    if (portal.operating?.blocked(opKey, started)) {
      portal.stats.operationTimeLimit++;
      throw restError('OPERATION_TIME_LIMIT');
    }
    portal.model.sweep(started);
    ran = true;
    const result = definition.handler(params, {
      auth,
      model: portal.model,
      now: started,
      clientLifetimeMs: portal.clientLifetimeMs,
      record: rec,
    });
    // `appendDebugInfo` adds `operating*` only while the LoadLimiter is active (reference §5): none when it is off.
    let operating: Operating | null = null;
    if (portal.operating) {
      portal.operating.charge(opKey, started, portal.operatingCost(definition.name, started));
    }
    // Read before the call is recorded as answered: a clock that fails here fails the call, recorded once as such.
    const finished = portal.now();
    if (portal.operating) operating = portal.operating.state(opKey, finished);
    portal.recordCall(name, rec, 200, null, auth, batchId, started);
    portal.scheduleSweep();
    return { result, operating, finished };
  } catch (error) {
    const restErr = error instanceof RestError ? error : restError('INTERNAL_SERVER_ERROR');
    // A handler records what it read as far as it got; a call refused before it ran is read here instead.
    if (!ran) rec = refusedRecord(portal, methodName, params, auth);
    portal.recordCall(name, rec, restErr.status, restErr.code, auth, batchId, started);
    throw restErr;
  }
}

/**
 * A command of a batch meets a plain error fault for its method as any call would, but in the batch's
 * `result_error`: it is counted as hit and thrown (body faults break the batch's own HTTP reply instead). Also for a
 * nested `BATCH` command (`runBatch`), a call of `batch`.
 */
export function throwCommandFault(portal: Portal, method: string): void {
  const fault = portal.faults.match(method, true);
  if (fault) {
    portal.stats.faultsHit++;
    throw faultError(fault);
  }
}
