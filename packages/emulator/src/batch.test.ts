import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { post } from '../test/http';
import { startEmulator } from './startEmulator';
import type { Emulator } from './types';

let emulator: Emulator;
let hook: string;
beforeAll(async () => {
  emulator = await startEmulator({ plan: 'off' });
  hook = emulator.webhookUrl();
});
afterAll(() => emulator.close());
// A fault a failed test did not use up must not hit the next test's calls.
afterEach(() => emulator.clearFaults());

describe('batch', () => {
  it('runs named commands and reports errors per command in result_error with the documented keys', async () => {
    const reply = await post(`${hook}batch`, {
      cmd: {
        typing: 'im.dialog.writing?DIALOG_ID=chat1',
        bot: 'imbot.v2.Chat.InputAction.notify?botId=10&botToken=agent-bot-token&dialogId=chat1&duration=30',
        bad: 'imbot.v2.Chat.InputAction.notify?botId=10&dialogId=chat1',
        missing: 'no.such.method',
      },
    });
    expect(reply.status).toBe(200);
    const { result } = reply.body;
    expect(Object.keys(result).sort()).toEqual([
      'result',
      'result_error',
      'result_next',
      'result_time',
      'result_total',
    ]);
    expect(result.result).toEqual({ typing: true, bot: { result: true } });
    expect(result.result_error.bad.error).toBe('BOT_TOKEN_NOT_SPECIFIED');
    expect(result.result_error.missing.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(result.result_total).toEqual([]);
    expect(Object.keys(result.result_time.typing).sort()).toEqual([
      'date_finish',
      'date_start',
      'duration',
      'finish',
      'processing',
      'start',
    ]);
    expect(reply.body.time.operating).toBe(0);
  });

  it('a command is `method?query` with no transport suffix: `.json` and `.xml` are part of the name, so not found (§8, §5)', async () => {
    // §8: the server takes the method from parse_url($call) as it is (lower-case, then original case); the `.json` /
    // `.xml` suffix of §5 picks the transport of an HTTP request, and a batch command has none of its own.
    const reply = await post(`${hook}batch`, {
      cmd: {
        json: 'im.dialog.writing.json?DIALOG_ID=chat2',
        xml: 'im.dialog.writing.xml?DIALOG_ID=chat2',
        plain: 'IM.Dialog.Writing?DIALOG_ID=chat1',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toEqual({ plain: true });
    expect(reply.body.result.result_error.json.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(reply.body.result.result_error.xml.error).toBe('ERROR_METHOD_NOT_FOUND');
  });

  it('an array cmd gives list-shaped results; an empty batch gives empty lists', async () => {
    const list = await post(`${hook}batch`, {
      cmd: ['im.dialog.writing?DIALOG_ID=chat1', 'im.dialog.writing?DIALOG_ID=chat2'],
    });
    expect(list.body.result.result).toEqual([true, true]);
    expect(list.body.result.result_error).toEqual([]);
    const empty = await post(`${hook}batch`, { cmd: [] });
    expect(empty.body.result).toEqual({
      result: [],
      result_error: [],
      result_total: [],
      result_next: [],
      result_time: [],
    });
  });

  it('commands 51 and later end with ERROR_BATCH_LENGTH_EXCEEDED in result_error (the batch is still 200)', async () => {
    const cmd = Array.from({ length: 53 }, () => 'im.dialog.writing?DIALOG_ID=chat1');
    const reply = await post(`${hook}batch`, { cmd });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toHaveLength(50);
    expect(Object.keys(reply.body.result.result_error)).toEqual(['50', '51', '52']);
    expect(reply.body.result.result_error['50']).toEqual({
      error: 'ERROR_BATCH_LENGTH_EXCEEDED',
      error_description: 'Max batch length exceeded',
    });
    // Each command is on the timeline (README), the three not run too: refused, with whose call it was, nothing shown.
    const calls = emulator.timeline().filter((e) => e.kind === 'call');
    const batchId = calls.filter((c) => c.kind === 'call' && c.method === 'batch').at(-1)?.batchId;
    const commands = calls.filter((c) => c.kind === 'call' && c.batchId === batchId && c.method !== 'batch');
    expect(commands).toHaveLength(53);
    expect(
      commands.slice(50).map((c) => c.kind === 'call' && [c.method, c.status, c.error, c.dialogId, c.chatId, c.shown]),
    ).toEqual(Array(3).fill(['im.dialog.writing', 400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'chat1', 1, false]));
  });

  it('§8: with halt, the 51st command is the first failure: it ends the batch, later ones are not reported', async () => {
    const cmd = Array.from({ length: 53 }, () => 'im.dialog.writing?DIALOG_ID=chat1');
    const reply = await post(`${hook}batch`, { halt: 1, cmd });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toHaveLength(50);
    expect(reply.body.result.result_error).toEqual({
      50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
  });

  it('a command past the 50th whose query cannot be parsed is refused all the same: the first 50 ran, the batch is 200', async () => {
    const cmd = [
      ...Array.from({ length: 50 }, () => 'im.dialog.writing?DIALOG_ID=chat1'),
      'im.dialog.writing?DIALOG_ID=%FF',
    ];
    const reply = await post(`${hook}batch`, { cmd });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toHaveLength(50);
    expect(reply.body.result.result_error['50'].error).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
    // On the timeline like the others past the 50th, naming nobody (its parameters could not be read).
    const last = emulator
      .timeline()
      .filter((e) => e.kind === 'call' && e.method !== 'batch')
      .at(-1);
    expect(last).toMatchObject({ method: 'im.dialog.writing', error: 'ERROR_BATCH_LENGTH_EXCEEDED', dialogId: null });
  });

  it('skips a command that is not a string: no result, no error, not run, not on the timeline (§8 [S] methodsBatch)', async () => {
    // §8: `cmd` is a list or map of "method?query" strings. The source §8 cites (`rest_provider.php methodsBatch`,
    // read at yuliai/bitrix-modules@793dd136) does `if (!is_string($call)) continue;` inside the 50-command branch:
    // a form's `cmd[a][x]=1` (an array) or a JSON object, number or null is passed over without a trace.
    const before = emulator.timeline().length;
    const received = emulator.received().length;
    const byMethod = { ...emulator.stats().byMethod };
    const form = `halt=1&cmd[a][x]=1&cmd[b]=${encodeURIComponent('im.dialog.writing?DIALOG_ID=chat1')}`;
    const formReply = await post(`${hook}batch`, form);
    expect(formReply.status).toBe(200);
    expect(formReply.body.result).toMatchObject({ result: { b: true }, result_error: [], result_time: { b: {} } });
    const json = await post(`${hook}batch`, {
      halt: 1,
      cmd: {
        obj: { method: 'im.dialog.writing' },
        num: 5,
        nil: null,
        list: ['x'],
        ok: 'im.dialog.writing?DIALOG_ID=chat2',
      },
    });
    expect(json.body.result.result).toEqual({ ok: true });
    expect(json.body.result.result_error).toEqual([]);
    // Only the string commands ran: nothing under an empty method name, on the timeline, in received() or stats.
    const calls = emulator
      .timeline()
      .slice(before)
      .filter((e) => e.kind === 'call');
    expect(calls.map((e) => e.kind === 'call' && e.method)).toEqual([
      'im.dialog.writing',
      'batch',
      'im.dialog.writing',
      'batch',
    ]);
    expect(
      emulator
        .received()
        .slice(received)
        .map((r) => r.method),
    ).toEqual(['im.dialog.writing', 'im.dialog.writing']);
    expect(emulator.stats().byMethod['']).toBe(byMethod['']);
  });

  it('a command that is not a string still takes one of the 50 places, and past them is refused like the rest (§8 [S])', async () => {
    // `$cnt++ < BATCH_MAX_LENGTH` is counted before the is_string check: a skipped command uses up a place.
    const cmd: unknown[] = [{ x: '1' }, ...Array.from({ length: 50 }, () => 'im.dialog.writing?DIALOG_ID=chat1'), 7];
    const reply = await post(`${hook}batch`, { cmd });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body.result.result)).toHaveLength(49);
    expect(reply.body.result.result['0']).toBeUndefined();
    expect(Object.keys(reply.body.result.result_error)).toEqual(['50', '51']);
    expect(reply.body.result.result_error['51'].error).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
  });

  it('a batch refused as a whole names only its string commands on the timeline (the others would never have run)', async () => {
    emulator.addFault({ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    const before = emulator.timeline().length;
    const refused = await post(`${hook}batch`, { cmd: { a: { x: '1' }, b: 'im.dialog.writing?DIALOG_ID=chat2' } });
    expect(refused.status).toBe(503);
    const calls = emulator
      .timeline()
      .slice(before)
      .filter((e) => e.kind === 'call');
    expect(calls.map((e) => e.kind === 'call' && [e.method, e.error])).toEqual([
      ['im.dialog.writing', 'QUERY_LIMIT_EXCEEDED'],
      ['batch', 'QUERY_LIMIT_EXCEEDED'],
    ]);
  });

  it('refuses a nested batch with ERROR_BATCH_METHOD_NOT_ALLOWED', async () => {
    const reply = await post(`${hook}batch`, { cmd: { inner: 'batch?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1' } });
    expect(reply.body.result.result_error.inner.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
  });

  it('§8: refuses `download` and `upload` inside a batch with ERROR_BATCH_METHOD_NOT_ALLOWED, not as unknown methods', async () => {
    // Only `batch` was asserted before, so dropping either name from the refusal went unnoticed: it would then be
    // looked up as a method and answered ERROR_METHOD_NOT_FOUND.
    const reply = await post(`${hook}batch`, { cmd: { down: 'download?id=1', up: 'upload?id=1' } });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result_error.down.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    expect(reply.body.result.result_error.up.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    expect(reply.body.result.result_error.down.error_description).toBe('Method is not allowed for batch usage');
  });

  it('refuses only the exact name `batch`: `BATCH` runs as a nested batch (§8 [S] methodsBatch)', async () => {
    // yuliai/bitrix-modules@793dd136 rest/classes/general/rest_provider.php methodsBatch: the refusal is
    // `$method === CRestUtil::METHOD_DOWNLOAD || $method === CRestUtil::METHOD_UPLOAD || $method === Client::METHOD_BATCH`
    // (exact, case-sensitive), then `$methods = [mb_strtolower($method), $method]` is tried in a CRestServerBatchItem:
    // `BATCH` becomes `batch`, found in the global scope (`'batch' => methodsBatch`), and runs as a batch of its own;
    // its answer is the command's result (processCall's `['result' => …]`), its time the command's result_time.
    const reply = await post(`${hook}batch`, {
      cmd: {
        upper: 'BATCH?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1&cmd[1]=no.such.method',
        exact: 'batch?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result_error.exact.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    expect(reply.body.result.result_error.upper).toBeUndefined();
    const nested = reply.body.result.result.upper;
    expect(nested).toMatchObject({ result: [true], result_total: [], result_next: [] });
    expect(nested.result_error['1'].error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(Object.keys(nested.result_time)).toEqual(['0']);
    expect(Object.keys(reply.body.result.result_time.upper).sort()).toEqual([
      'date_finish',
      'date_start',
      'duration',
      'finish',
      'processing',
      'start',
    ]);
    // On the timeline under the one batch id, as every command of this request is.
    const outer = emulator.timeline().at(-1)!;
    const id = outer.kind === 'call' ? outer.batchId : -1;
    const calls = emulator.timeline().filter((e) => e.kind === 'call' && e.batchId === id);
    expect(calls.map((e) => e.kind === 'call' && [e.method, e.error])).toEqual([
      ['im.dialog.writing', null],
      ['no.such.method', 'ERROR_METHOD_NOT_FOUND'],
      ['batch', null],
      ['batch', 'ERROR_BATCH_METHOD_NOT_ALLOWED'],
      ['batch', null],
    ]);
  });

  it('a nested `BATCH` counts in stats().batches, as the top-level batch does (the same methodsBatch runs)', async () => {
    const before = emulator.stats();
    const reply = await post(`${hook}batch`, {
      cmd: { upper: 'BATCH?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1', plain: 'im.dialog.writing?DIALOG_ID=chat1' },
    });
    expect(reply.body.result.result.upper.result).toEqual([true]);
    const after = emulator.stats();
    expect(after.batches - before.batches).toBe(2);
    expect((after.byMethod.batch ?? 0) - (before.byMethod.batch ?? 0)).toBe(2);
  });

  it('a `batch` error fault hits a nested `BATCH` like any method in a batch: in result_error, its commands unrun', async () => {
    // The first fault (a latency) is the one the top-level batch takes, so the error fault is left for the nested one.
    emulator.addFault({ method: 'batch', latencyMs: 1, times: 1 });
    emulator.addFault({ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    const before = emulator.stats();
    const reply = await post(`${hook}batch`, {
      cmd: { upper: 'BATCH?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat2', plain: 'im.dialog.writing?DIALOG_ID=chat1' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toEqual({ plain: true });
    expect(reply.body.result.result_error.upper).toEqual({
      error: 'QUERY_LIMIT_EXCEEDED',
      error_description: 'Too many requests',
    });
    expect(emulator.faults()).toEqual([]);
    const after = emulator.stats();
    // Both hit: the latency (top-level batch) and the error (nested batch).
    expect(after.faultsHit - before.faultsHit).toBe(2);
    // Refused before it ran: the outer batch is the only one counted, the nested one is on the timeline as refused.
    expect(after.batches - before.batches).toBe(1);
    const outer = emulator.timeline().at(-1)!;
    const id = outer.kind === 'call' ? outer.batchId : -1;
    const calls = emulator.timeline().filter((e) => e.kind === 'call' && e.batchId === id);
    expect(calls.map((e) => e.kind === 'call' && [e.method, e.status, e.error])).toEqual([
      ['batch', 503, 'QUERY_LIMIT_EXCEEDED'],
      ['im.dialog.writing', 200, null],
      ['batch', 200, null],
    ]);
  });

  it('a `batch` fault that breaks the reply (reset) does not hit a nested `BATCH`, as for any command', async () => {
    emulator.addFault({ method: 'batch', latencyMs: 1, times: 1 });
    emulator.addFault({ method: 'batch', reset: true, times: 1 });
    const reply = await post(`${hook}batch`, { cmd: { upper: 'BATCH?cmd[0]=im.dialog.writing%3FDIALOG_ID%3Dchat1' } });
    expect(reply.body.result.result.upper.result).toEqual([true]);
    expect(emulator.faults().map((f) => f.reset)).toEqual([true]);
  });

  it("a command's method is not trimmed: ` im.dialog.writing` and ` batch` are not found (§8 [S] parse_url)", async () => {
    // methodsBatch takes `parse_url($call)['path']` as it is (parse_url keeps a space; rest_provider.php methodsBatch),
    // compares it exactly, and CRestServer looks `mb_strtolower` of it up in the method list
    // (rest/classes/general/rest.php getMethodDescription: `array_key_exists($this->method, $arMethods)`), then in
    // onFindMethodDescription (a controller route, none for ` im`): neither name with a space is a method.
    const reply = await post(`${hook}batch`, {
      cmd: {
        lead: ' im.dialog.writing?DIALOG_ID=chat1',
        trail: 'im.dialog.writing ?DIALOG_ID=chat1',
        nested: ' batch',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.result.result).toEqual([]);
    expect(reply.body.result.result_error.lead.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(reply.body.result.result_error.trail.error).toBe('ERROR_METHOD_NOT_FOUND');
    expect(reply.body.result.result_error.nested.error).toBe('ERROR_METHOD_NOT_FOUND');
  });

  it('halt stops at the first failing command', async () => {
    const cmd = {
      a: 'im.dialog.writing?DIALOG_ID=chat1',
      b: 'im.dialog.writing?DIALOG_ID=bad',
      c: 'im.dialog.writing?DIALOG_ID=chat1',
    };
    const halted = await post(`${hook}batch`, { halt: 1, cmd });
    expect(halted.body.result.result).toEqual({ a: true });
    expect(Object.keys(halted.body.result.result_error)).toEqual(['b']);
    const notHalted = await post(`${hook}batch`, { halt: 0, cmd });
    expect(notHalted.body.result.result).toEqual({ a: true, c: true });
  });

  it('halt: the documented true/false/1/0 as documented; any other value as the cited source reads it (§8)', async () => {
    // §8 [D]: `halt` is `true/false/1/0`, default false. For the values it does not list, the source §8 cites
    // (`rest_provider.php methodsBatch`) decides: `$bHalt = isset($arQuery['HALT']) && $arQuery['HALT']`, PHP
    // truthiness, so only an empty string and "0" (and a JSON false, 0 or null) leave the batch running.
    const cmd =
      'cmd[a]=im.dialog.writing%3FDIALOG_ID%3Dchat1&cmd[b]=im.dialog.writing%3FDIALOG_ID%3Dbad&cmd[c]=im.dialog.writing%3FDIALOG_ID%3Dchat1';
    const ran = async (halt: string) => Object.keys((await post(`${hook}batch`, `${halt}&${cmd}`)).body.result.result);
    const outcomes: Record<string, string[]> = {};
    for (const halt of [
      'halt=1',
      'halt=true',
      'halt=Y',
      'halt=N',
      'halt=2',
      'halt=yes',
      'halt=0',
      'halt=false',
      'halt=',
      '',
    ]) {
      outcomes[halt] = await ran(halt);
    }
    expect(outcomes).toEqual({
      'halt=1': ['a'],
      'halt=true': ['a'],
      'halt=Y': ['a'],
      'halt=N': ['a'],
      'halt=2': ['a'],
      'halt=yes': ['a'],
      'halt=0': ['a', 'c'],
      'halt=false': ['a', 'c'],
      'halt=': ['a', 'c'],
      '': ['a', 'c'],
    });
    const jsonCmd = {
      a: 'im.dialog.writing?DIALOG_ID=chat1',
      b: 'im.dialog.writing?DIALOG_ID=bad',
      c: 'im.dialog.writing?DIALOG_ID=chat1',
    };
    const json = async (halt: unknown) =>
      Object.keys((await post(`${hook}batch`, { halt, cmd: jsonCmd })).body.result.result).join('');
    expect([await json(true), await json(false), await json(null), await json(2)]).toEqual(['a', 'ac', 'ac', 'a']);
  });

  it('reads the keys of the batch itself in any case: HALT, Cmd (§8 [S] methodsBatch upper-cases them first)', async () => {
    // §8 cites `rest_provider.php methodsBatch` (l.~266), whose first statement is
    // `$arQuery = array_change_key_case($arQuery, CASE_UPPER)` and which then reads `$arQuery['HALT']` and
    // `$arQuery['CMD']` (the `HALT` read is the one `halt`'s PHP truthiness above comes from): `halt`, `HALT` and `Halt`
    // are one key, `cmd` and `CMD` too. Only the batch's own keys: each command's query keeps its method's rules.
    const cmd = {
      a: 'im.dialog.writing?DIALOG_ID=chat1',
      b: 'im.dialog.writing?DIALOG_ID=bad',
      c: 'im.dialog.writing?DIALOG_ID=chat1',
    };
    const ran = async (body: unknown) => Object.keys((await post(`${hook}batch`, body)).body.result.result).join('');
    expect(await ran({ HALT: 1, CMD: cmd })).toBe('a');
    expect(await ran({ Halt: 'Y', Cmd: cmd })).toBe('a');
    expect(await ran({ HALT: 0, CMD: cmd })).toBe('ac');
    const form = Object.entries(cmd)
      .map(([key, text]) => `CMD[${key}]=${encodeURIComponent(text)}`)
      .join('&');
    expect(await ran(`HALT=1&${form}`)).toBe('a');
    expect(await ran(form)).toBe('ac');
    // As array_change_key_case does, the later of two spellings of one key wins.
    expect(await ran({ halt: 1, HALT: 0, cmd })).toBe('ac');
    // A batch refused as a whole still names its commands under `CMD` on the timeline.
    emulator.addFault({ method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    const refused = await post(`${hook}batch`, { CMD: { typing: 'im.dialog.writing?DIALOG_ID=chat2' } });
    expect(refused.status).toBe(503);
    const calls = emulator.timeline().filter((e) => e.kind === 'call');
    expect(calls.slice(-2).map((e) => e.kind === 'call' && [e.method, e.error, e.dialogId])).toEqual([
      ['im.dialog.writing', 'QUERY_LIMIT_EXCEEDED', 'chat2'],
      ['batch', 'QUERY_LIMIT_EXCEEDED', null],
    ]);
  });

  it('accepts the form encoding with double-encoded cmd strings and PHP brackets inside them', async () => {
    const form = `halt=0&cmd[send]=${encodeURIComponent('imbot.v2.Chat.Message.send?botId=10&botToken=agent-bot-token&dialogId=chat1&fields[message]=John%26Martin')}`;
    const reply = await post(`${hook}batch`, form);
    expect(reply.body.result.result.send.id).toBeTypeOf('number');
    expect(emulator.messages(1).at(-1)?.text).toBe('John&Martin');
  });

  it('substitutes $result[key][field] from earlier commands', async () => {
    const reply = await post(`${hook}batch`, {
      cmd: {
        first: 'im.message.add?DIALOG_ID=chat1&MESSAGE=original',
        edit: 'im.message.update?MESSAGE_ID=$result[first]&MESSAGE=edited',
      },
    });
    expect(reply.body.result.result).toEqual({ first: expect.any(Number), edit: true });
  });

  it('a refused command says whose call it was: refused by a fault or by the scope, before the method ran', async () => {
    emulator.addFault({ method: 'im.dialog.writing', status: 503, error: 'QUERY_LIMIT_EXCEEDED', times: 1 });
    const imOnly = emulator.webhookUrl(2, ['im']);
    const reply = await post(`${imOnly}batch`, {
      cmd: {
        typing: 'im.dialog.writing?DIALOG_ID=chat1',
        bot: 'imbot.v2.Chat.InputAction.notify?botId=10&botToken=agent-bot-token&dialogId=chat2',
      },
    });
    expect(reply.body.result.result_error).toEqual({
      typing: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' },
      bot: {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the webhook token',
      },
    });
    const commands = emulator
      .timeline()
      .filter((e) => e.kind === 'call' && e.method !== 'batch')
      .slice(-2)
      .map((e) => e.kind === 'call' && [e.method, e.error, e.dialogId, e.chatId, e.senderId, e.botId, e.shown]);
    expect(commands).toEqual([
      ['im.dialog.writing', 'QUERY_LIMIT_EXCEEDED', 'chat1', 1, 2, null, false],
      ['imbot.v2.Chat.InputAction.notify', 'insufficient_scope', 'chat2', 2, 10, 10, false],
    ]);
  });

  it('a batch reset or replaced by a proxy page: each command on the timeline with the fault, saying whose it was', async () => {
    const cmd = {
      typing: 'im.dialog.writing?DIALOG_ID=chat1',
      bot: 'imbot.v2.Chat.InputAction.notify?botId=10&botToken=agent-bot-token&dialogId=chat2',
    };
    const before = emulator.indicators();
    const batches = emulator.stats().batches;
    const refusedBatch = () => {
      const calls = emulator.timeline().filter((e) => e.kind === 'call');
      const outer = calls.at(-1);
      if (outer?.kind !== 'call') throw new Error('no call on the timeline');
      const commands = calls.filter((c) => c.kind === 'call' && c.batchId === outer.batchId && c !== outer);
      return {
        outer: [outer.method, outer.status, outer.error, outer.batchId === null],
        commands: commands.map(
          (c) => c.kind === 'call' && [c.method, c.status, c.error, c.dialogId, c.chatId, c.senderId, c.botId, c.shown],
        ),
      };
    };
    emulator.addFault({ method: 'batch', reset: true, times: 1 });
    await expect(post(`${hook}batch`, { cmd })).rejects.toThrow();
    await vi.waitFor(() => expect(refusedBatch().outer).toEqual(['batch', 0, 'RESET', false]));
    expect(refusedBatch().commands).toEqual([
      ['im.dialog.writing', 0, 'RESET', 'chat1', 1, 1, null, false],
      ['imbot.v2.Chat.InputAction.notify', 0, 'RESET', 'chat2', 2, 10, 10, false],
    ]);
    const page = '<html>502 Bad Gateway</html>';
    emulator.addFault({ method: 'batch', status: 502, body: page, contentType: 'text/html', times: 1 });
    const proxied = await post(`${hook}batch`, { cmd });
    expect([proxied.status, proxied.text]).toEqual([502, page]);
    expect(refusedBatch()).toEqual({
      outer: ['batch', 502, 'BODY', false],
      commands: [
        ['im.dialog.writing', 502, 'BODY', 'chat1', 1, 1, null, false],
        ['imbot.v2.Chat.InputAction.notify', 502, 'BODY', 'chat2', 2, 10, 10, false],
      ],
    });
    // Nothing ran: no batch counted, no indicator.
    expect(emulator.stats().batches).toBe(batches);
    expect(emulator.indicators()).toEqual(before);
  });

  it('records each command on the timeline under the batch id', async () => {
    await post(`${hook}batch`, { cmd: ['im.dialog.writing?DIALOG_ID=chat1', 'im.dialog.writing?DIALOG_ID=2'] });
    const calls = emulator.timeline().filter((e) => e.kind === 'call');
    const outer = calls.at(-1)!;
    expect(outer).toMatchObject({ method: 'batch', status: 200 });
    const inner = calls.filter(
      (c) => c.kind === 'call' && c.batchId === (outer.kind === 'call' ? outer.batchId : -1) && c.method !== 'batch',
    );
    expect(inner.map((c) => c.kind === 'call' && c.dialogId)).toEqual(['chat1', '2']);
  });
});
