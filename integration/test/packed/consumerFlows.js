// What an app does with the packages as npm installs them, run by packed.test.ts once as ES modules (`load` is
// `import()`) and once as CommonJS (`load` is `require`), against an emulator started from the packed bin. It prints
// one JSON line of what it saw; the test checks that and the emulator's own timeline.
// biome-ignore lint/correctness/noUnusedVariables: packed.test.ts appends the call, as ESM and as CommonJS
async function consumerFlows(load, format) {
  const { createIndicators, createTypingIndicators, withStatus, B24InputError, isB24Error } =
    await load('@b24-typing/core');
  const { createWebhookTransport } = await load('@b24-typing/node');
  const { createFetchTransport } = await load('@b24-typing/browser');
  const { statusFromStream } = await load('@b24-typing/ai');
  const { startEmulator } = await load('@b24-typing/emulator');
  const { Subject, firstValueFrom, map, timer } = await load('rxjs');
  const base = process.env.EMU;
  const seen = {};

  // node: a webhook call, and bad input refused before any request
  const transport = createWebhookTransport(`${base}/rest/1/emulatorwebhook1/`);
  seen.webhookCall = await transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
  try {
    await transport.call('im.dialog.writing', null);
  } catch (error) {
    seen.badInput = error instanceof B24InputError && isB24Error(error) ? error.field : String(error);
  }

  // ai + core + node: an LLM's parts drive the bot's status around the reply, which passes through untouched
  async function* parts() {
    yield { type: 'start' };
    yield { type: 'tool-call', toolName: 'webSearch', toolCallId: 'c1' };
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the search outlasts the 1 s a status is held
    yield { type: 'tool-result', toolName: 'webSearch', toolCallId: 'c1' };
    yield { type: 'text-delta', text: 'ok' };
    yield { type: 'finish' };
  }
  const indicators = createIndicators({ transport });
  seen.reply = await firstValueFrom(
    timer(1_800).pipe(
      map(() => `reply-${format}`),
      withStatus(indicators, {
        botId: 10,
        botToken: 'agent-bot-token',
        dialogId: 'chat1',
        status: statusFromStream(parts()),
      }),
    ),
  );
  indicators.dispose();

  // browser, imported in Node as on a server render: the fetch transport with the seed's OAuth token
  const { oauth } = await (await fetch(`${base}/_emulator/fixtures`)).json();
  const fetchTransport = createFetchTransport({ clientEndpoint: `${base}/rest/`, auth: () => oauth.accessToken });
  const typing = createTypingIndicators({ transport: fetchTransport });
  const keystrokes = new Subject();
  // The keystroke's first event (its call answered, or not): awaited as such, not polled for a while, which a busy
  // machine may outlast. (packed.test.ts bounds the whole run.) Unsubscribed once it came, as the composer goes away.
  const first = firstValueFrom(typing.userTyping({ dialogId: 'chat2', keystrokes }));
  keystrokes.next();
  seen.typingEvents = [(await first).type];
  typing.dispose();

  // the emulator's own API
  const local = await startEmulator();
  const localTransport = createWebhookTransport(local.webhookUrl());
  await localTransport.call('im.dialog.writing', { DIALOG_ID: 'chat1' });
  seen.localEmulator = local.visibility('chat1', 1).length;
  await localTransport.close();
  await local.close();
  await transport.close();
  return seen;
}
