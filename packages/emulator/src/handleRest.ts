import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from './authenticate';
import { ClockError } from './ClockError';
import { restError } from './errorCatalog';
import { faultError } from './FaultBook';
import { invokeMethod, type Operating, refusedRecord } from './invokeMethod';
import { type AuthContext, emptyRecord } from './methodContext';
import { mergeParams, parseBody, readBody } from './parseBody';
import { nullRecord, type Params, parseQuery } from './phpQuery';
import type { Portal } from './Portal';
import { preemptFault } from './preemptFault';
import { RestError } from './RestError';
import { recordRefusedBatch, runBatch } from './runBatch';
import { sendResponse } from './sendResponse';
import { timeBlock } from './timeBlock';
import { toXml } from './toXml';

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * `/rest/…`: route (webhook or OAuth form), faults, leaky bucket, body, auth, then the method or `batch`.
 * Every outcome is counted and lands on the timeline, including refusals before a method ran.
 */
export async function handleRest(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  cors: Record<string, string>,
): Promise<void> {
  const { stats } = portal;
  stats.requests++;
  let started: number;
  /** The clock failed on this request's first reading: it is answered 500 (below) like any internal error. */
  let clockFailed = false;
  try {
    started = portal.now();
  } catch (caught) {
    if (!(caught instanceof ClockError)) throw caught;
    // No time of its own: stamped with the portal's last reading, so the timeline stays in time order.
    started = portal.lastKnownNow;
    clockFailed = true;
  }
  // Expiries up to now go on the timeline before this request's entry, even when it is refused before a method
  // runs (bad credentials, the rate limit): the timeline, and the event stream, stay in time order.
  if (!clockFailed) portal.model.sweep(started);
  /** The leaky bucket counts HTTP requests (reference §7), whatever the portal then makes of them. */
  const overLimit = (): RestError | null => {
    if (!portal.bucket || portal.bucket.take(started)) return null;
    stats.queryLimitExceeded++;
    const limited = restError('QUERY_LIMIT_EXCEEDED');
    return portal.options.rateLimitStatus === 429 ? new RestError(limited.code, limited.message, 429) : limited;
  };
  const segments = url.pathname
    .replace(/^\/rest\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(safeDecode);
  let route: { userId: number; code: string } | null = null;
  let methodName: string;
  if (segments.length === 3 && /^\d+$/.test(segments[0]!)) {
    route = { userId: Number(segments[0]), code: segments[1]! };
    methodName = segments[2]!;
  } else if (segments.length === 1) {
    methodName = segments[0]!;
  } else {
    // No method to name: the path may hold a webhook code (`/rest/1/<code>/`), which must not reach stats or state.
    portal.countMethod('(no method)');
    const error = clockFailed
      ? restError('INTERNAL_SERVER_ERROR')
      : (overLimit() ?? restError('ERROR_METHOD_NOT_FOUND'));
    portal.countStatus(error.status);
    sendResponse(res, error.status, error.toBody(), cors);
    return;
  }
  // `method`, `method.json` or `method.xml` (reference §5): the suffix picks the transport, JSON by default.
  const xml = /\.xml$/i.test(methodName);
  methodName = methodName.replace(/\.(json|xml)$/i, '');
  const isBatch = methodName.toLowerCase() === 'batch';
  let auth: AuthContext | null = null;
  let params: Params | null = null;
  let recorded = false;
  /** The id of a `batch` that began to run: its commands are on the timeline as far as they got. */
  let ranBatchId: number | null = null;
  // Read as it arrives, not once a fault's latency is over: a portal that has the whole request runs it even if the
  // client hangs up meanwhile (an aborted im.dialog.writing may still land after the message), and one it never got
  // whole it never runs. Read later, a hung-up request's body is gone and the read never settles.
  const bodyRead = readBody(req, portal.maxBodyBytes);
  // Awaited below, if at all after a latency: until then a rejection (a hang-up mid-body) is not unhandled.
  bodyRead.catch(() => {});
  const readParams = async (): Promise<Params> => {
    const body = await bodyRead;
    // getRequestData reads a body only for POST (reference §5): a PUT's or DELETE's is ignored on a portal, so
    // taking it here would let a client that sends the wrong method pass.
    const posted = req.method === 'POST' ? parseBody(body, req.headers['content-type']) : nullRecord();
    return mergeParams(parseQuery(url.search.slice(1)), posted);
  };
  /**
   * Whose call a refusal was, for the timeline only: read from the parameters (when they could be read) and the
   * credentials (when they authenticate), neither acted on. Not served: the reply is the refusal as documented.
   */
  const callerOf = (read: Params): AuthContext | null => {
    if (auth) return auth;
    try {
      return authenticate(portal, route, read, req);
    } catch {
      // Credentials that do not authenticate vouch for nobody: the record names what the parameters name.
      return null;
    }
  };
  const refused = () => (params ? refusedRecord(portal, methodName, params, callerOf(params)) : emptyRecord());
  /**
   * A request refused before its method ran, on the timeline: a `batch` with each of its commands first, refused the
   * same, under the batch's id, saying whose call each was (so a reader knows whose indicators the refusal held up);
   * a body that could not be read or parsed leaves the batch entry alone. A batch that failed while it ran has its
   * commands there already, as far as they got: only its entry is added, under their id.
   */
  const recordRefused = (status: number, code: string) => {
    if (ranBatchId !== null) portal.recordCall('batch', emptyRecord(), status, code, auth, ranBatchId, started);
    else if (isBatch && params) {
      const batchId = portal.nextBatchId();
      recordRefusedBatch(portal, params, callerOf(params), status, code, batchId, started);
      portal.recordCall('batch', emptyRecord(), status, code, auth, batchId, started);
    } else {
      portal.recordCall(methodName, refused(), status, code, auth, null, started);
    }
  };
  const fault = portal.faults.match(methodName, false);
  const reply = (status: number, envelope: Record<string, unknown>) =>
    xml
      ? sendResponse(res, status, toXml(envelope), cors, 'text/xml; charset=utf-8', fault)
      : sendResponse(res, status, envelope, cors, undefined, fault);
  try {
    if (clockFailed) {
      // Read (and nothing done with it) so the timeline can say whose call failed, as for any refusal.
      params = await readParams().catch(() => null);
      throw restError('INTERNAL_SERVER_ERROR');
    }
    if (fault) {
      // A reset, a hang or a proxy's page instead of the call: the request is read first (and nothing done with it),
      // so the timeline can say whose call it hit; a `batch`'s commands each, as if refused one by one.
      const record = async (status: number, code: string) => {
        params = await readParams().catch(() => null);
        recordRefused(status, code);
      };
      if (await preemptFault(portal, fault, req, res, cors, record)) return;
    }
    const refusal =
      fault && (fault.status !== undefined || fault.error !== undefined) ? faultError(fault) : overLimit();
    if (refusal) {
      // Refused before the method runs, as the reference has it; the request is still read (and nothing done with
      // it) so the timeline can say whose call was refused. A body that cannot be read leaves that unknown.
      params = await readParams().catch(() => null);
      throw refusal;
    }
    params = await readParams();
    auth = authenticate(portal, route, params, req);
    delete params.auth;
    delete params.access_token;
    let result: unknown;
    let operating: Operating | null;
    let finished: number;
    if (isBatch) {
      stats.batches++;
      portal.countMethod('batch');
      ranBatchId = portal.nextBatchId();
      result = runBatch(portal, params, auth, ranBatchId);
      // Read before the batch is recorded as answered: a clock that fails here fails it, recorded once as such.
      finished = portal.now();
      portal.recordCall('batch', emptyRecord(), 200, null, auth, ranBatchId, started);
      recorded = true;
      // `batch` itself is not charged to the operating limit; its commands are (reference §7).
      operating = portal.operating ? { operating: 0, resetAt: Math.floor((started + 600_000) / 1000) } : null;
    } else {
      recorded = true;
      ({ result, operating, finished } = invokeMethod(portal, methodName, params, auth, null));
    }
    portal.countStatus(200);
    reply(200, { result, time: timeBlock(started, finished, operating ?? undefined) });
  } catch (caught) {
    // Not `req.destroyed`: Node destroys a request once its body has been read, so any later failure (an injected
    // clock gone bad in the method, say) would be taken for a hang-up and left without an answer.
    // A body cut off mid-way (`readableAborted`: destroyed before its end) is aborted whatever was about to refuse
    // it: the portal never had the request, so it sent no answer.
    if (req.readableAborted || (!(caught instanceof RestError) && res.destroyed)) {
      // The client hung up (mid-body, say): no reply went out, so none is counted; the call is noted as a
      // fault's dropped connection is (status 0), not as a 500 the portal never sent.
      if (!recorded) recordRefused(0, 'ABORTED');
      return;
    }
    const error = caught instanceof RestError ? caught : restError('INTERNAL_SERVER_ERROR');
    if (!recorded) recordRefused(error.status, error.code);
    portal.countStatus(error.status);
    reply(error.status, error.toBody());
  }
}
