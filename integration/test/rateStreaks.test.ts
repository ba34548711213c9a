import type { CallEntry } from '@b24-typing/emulator';
import { describe, expect, it } from 'vitest';
import { rateStreaks } from './rateStreaks';

let seq = 0;
/** A call entry as the emulator records it; `batchId` ties a batch's commands to its own entry, which comes last. */
function call(method: string, error: string | null, batchId: number | null = null, senderId: number | null = 1) {
  const entry: CallEntry = {
    kind: 'call',
    seq: ++seq,
    time: seq * 1_000,
    method,
    dialogId: senderId === null ? null : 'chat1',
    chatId: senderId === null ? null : 1,
    senderId,
    botId: null,
    status: error === null ? 200 : 503,
    error,
    durationSec: null,
    statusMessageCode: null,
    shown: error === null,
    visibleUntil: null,
    auth: 'webhook',
    batchId,
  };
  return entry;
}
const RATE = 'QUERY_LIMIT_EXCEEDED';
const everyRequest = () => true;

describe('rateStreaks: rate refusals in a row, per request as the scheduler backs off', () => {
  it('a batch refused as a whole is one refusal, whatever the number of its commands on the timeline', () => {
    const first = call('im.dialog.writing', RATE);
    const batch = [
      call('im.dialog.writing', RATE, 7),
      call('im.dialog.writing', RATE, 7),
      call('batch', RATE, 7, null),
    ];
    const after = call('im.dialog.writing', RATE);
    const streaks = rateStreaks([first, ...batch, after], everyRequest);
    expect([first, ...batch, after].map((e) => streaks.get(e))).toEqual([1, 2, 2, 2, 3]);
  });

  it('a request answered resets it; a batch answered with commands refused for the rate is one refusal', () => {
    const refused = call('im.dialog.writing', RATE);
    const ran = [call('im.dialog.writing', RATE, 8), call('im.dialog.writing', RATE, 8), call('batch', null, 8, null)];
    const other = call('im.dialog.writing', 'ACCESS_ERROR');
    const answered = call('im.dialog.writing', null);
    const timeline = [refused, ...ran, other, answered];
    const streaks = rateStreaks(timeline, everyRequest);
    expect(timeline.map((e) => streaks.get(e))).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it("another client's requests leave it as it is", () => {
    const mine = call('im.dialog.writing', RATE, null, 1);
    const theirs = [call('im.dialog.writing', null, 9, 2), call('batch', null, 9, null)];
    const again = call('im.dialog.writing', RATE, null, 1);
    const timeline = [mine, ...theirs, again];
    const streaks = rateStreaks(timeline, (request) => request.some((e) => e.senderId === 1));
    expect(streaks.get(again)).toBe(2);
  });
});
