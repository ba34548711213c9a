import { statusFromStream } from '@b24-typing/ai';
import {
  B24Error,
  B24InputError,
  type AgentStatus,
  createIndicators,
  MAX_BOT_TOKEN_LENGTH,
  resolveStatusPolicy,
  type StatusPolicy,
  statusMessageCode,
  type Transport,
  validateBotToken,
  validateMs,
  withStatus,
} from '@b24-typing/core';
import { type BotEvent, botEvents, type MessageAddEvent, redactSecrets } from '@b24-typing/node';
import { type LanguageModel, stepCountIs, streamText, type TextStreamPart, type ToolSet } from 'ai';
import {
  connectable,
  defer,
  EMPTY,
  from,
  filter,
  fromEvent,
  lastValueFrom,
  mergeMap,
  Observable,
  raceWith,
  ReplaySubject,
  Subject,
  type Subscription,
  takeUntil,
  takeWhile,
  tap,
} from 'rxjs';
import { cannotPost } from './cannotPost';
import { clearOutcome, type Shown } from './clearOutcome';
import { clip } from './clip';
import { isLocalModel } from './createLocalModel';
import { createSearchTool } from './createSearchTool';
import { describeFailure } from './describeFailure';
import { inTurn } from './inTurn';
import { isHttpUrl } from './isHttpUrl';
import { replyText } from './replyText';
import { seenBefore } from './seenBefore';
import { sleep } from './sleep';
import { splitMessage } from './splitMessage';
import { startWebhookServer, type WebhookServer } from './startWebhookServer';
import { REQUEST_LIMIT_MS, trackStatusCalls } from './trackStatusCalls';
import { within } from './within';

export type EventSource =
  /** Poll `imbot.v2.Event.get` (works behind NAT; the platform's recommendation for reliability). */
  | { readonly mode: 'fetch'; readonly intervalMs?: number }
  /** Receive POSTs on a local node:http server and register its URL (or `publicUrl`, e.g. a tunnel) with the bot. */
  | {
      readonly mode: 'webhook';
      readonly applicationToken: string;
      readonly port?: number;
      readonly host?: string;
      readonly publicUrl?: string;
    };

/** The bot types imbot.v2.Bot.register documents (reference §4.2). */
export const BOT_TYPES = ['bot', 'supervisor', 'personal', 'openline'] as const;
export type BotType = (typeof BOT_TYPES)[number];

export interface BotOptions {
  /** A webhook transport of the portal (or the emulator); the bot registers itself through it. */
  readonly transport: Transport;
  /** The bot's own token for webhook auth (you choose it at registration; ≤ 40 characters). */
  readonly botToken: string;
  readonly code?: string;
  readonly name?: string;
  /**
   * The types imbot.v2.Bot.register documents (reference §4.2), all of which this bot can serve, as it answers
   * whatever message the portal sends it: `bot` (default) and `openline` hear 1:1 messages and @mentions in group
   * chats; `supervisor` and `personal` hear every message in the chats they are members of. (`network`, accepted by
   * the portal per its error text only, is not documented: refused.)
   */
  readonly type?: BotType;
  readonly model: LanguageModel;
  /** Default: `webSearch` over a small local corpus. */
  readonly tools?: ToolSet;
  readonly system?: string;
  readonly events?: EventSource;
  /**
   * How long the model may take to write an answer (default 120 s). A provider that accepted the request and went
   * silent would otherwise keep the status renewed, the user waiting and the dialog's next messages queued for as
   * long as its connection stays open. Past it the answer is aborted, the status cleared and the user told.
   */
  readonly answerTimeoutMs?: number;
  /** Lease, renewal margin, minimum dwell … of the status (core's defaults otherwise: 30 s lease, 1 s dwell). */
  readonly statusPolicy?: Partial<StatusPolicy>;
  /**
   * One line per thing that happened, for the console. A throw from it is dropped. Never given a secret: the bot token,
   * the application token and `secrets` are cut out of every line (a provider's error text, logged for the operator,
   * may quote one).
   */
  readonly log?: (line: string) => void;
  /**
   * The credentials the bot cannot know of itself that its log must not show either: the model's API key, the
   * transport's webhook code or tokens (its own errors are scrubbed already; a provider's or proxy's text is not).
   */
  readonly secrets?: readonly string[];
  /**
   * The event source failed or ended for good (a wrong token, a deleted bot): the bot hears nothing any more.
   * When the bot was unregistered (its last event, `ONIMBOTV2DELETE`, arrived), the error is a `B24Error` with
   * code `BOT_NOT_FOUND` (kind `input`), what a poll for the deleted bot answers: one code for a deleted bot,
   * however the bot learned it. Never called because of `stop()`.
   */
  readonly onError?: (error: unknown) => void;
  /**
   * Gives up the start (a Ctrl-C while registering): registration is retried with backoffs for about a minute on a
   * failing portal, which a program asked to stop should not wait out. Aborted before registration has answered, the
   * attempt on its way is abandoned, no other is made, the webhook server is closed and startBot rejects with a
   * `B24Error` `ABORTED`; in webhook mode each chat whose message was taken meanwhile (answered 200: not posted again)
   * is told to ask again first. Once registration has answered it is not read: the bot is returned, for its stop().
   */
  readonly signal?: AbortSignal;
}

export interface RunningBot {
  readonly botId: number;
  /** Webhook mode: the URL the portal posts to. */
  readonly webhookUrl?: string;
  /** Answers in progress. */
  readonly busy: () => number;
  /**
   * Stops taking messages, aborts answers in progress (clearing their statuses) and releases everything. A model that
   * had already failed is still reported. Webhook mode: each chat with messages taken and not answered is told once to
   * ask again (the portal does not deliver them again); fetch mode leaves them to the next run. A long answer it cuts
   * after its first parts went out (or may have) is dealt with (in either mode): that chat is told the rest is missing
   * (or may not have reached them) instead.
   */
  stop(): Promise<void>;
}

/**
 * Attempts at a rate-limited send of one message, or at a registration refused for a passing reason: backoffs of
 * 0.5, 1, 2, 4, 8, 8 … s (±50 %), about a minute in all.
 */
const SEND_ATTEMPTS = 10;
const ANSWER_TIMEOUT_MS = 120_000;
/** Message ids remembered to answer each message once: far more than can be delivered twice within a while. */
const SEEN_MESSAGES = 10_000;
/**
 * Webhook events kept while registration is in flight (a restart into a busy portal). Registration is one call, over
 * within the platform's 60 s request limit (reference §7); a hundred messages is more than a bot hears in that time
 * in all but a flood, and already about two minutes of the standard plan's 2 req/s (a status and a reply each) to
 * answer. Each body may be up to 1 MiB: unbounded, a flood during a slow registration could exhaust the memory.
 */
export const EARLY_EVENTS = 100;

const SYSTEM =
  'You are a helpful assistant in a Bitrix24 chat. Use webSearch before answering questions about Bitrix24, then answer briefly.';

/**
 * The bot: registers itself (`imbot.v2.Bot.register`, idempotent on `code`), takes `ONIMBOTV2MESSAGEADD` events
 * (fetch or webhook mode) and answers each message with the model. While the answer is produced the chat shows
 * the model's phase (thinking, searching, composing …): `statusFromStream` reads the AI SDK stream and
 * `withStatus` keeps the status up until the reply text is ready, so the status never outlives the answer and no
 * indicator call follows the reply message. Messages of one dialog are answered in turn, dialogs in parallel.
 */
export async function startBot(options: BotOptions): Promise<RunningBot> {
  const { transport, botToken } = options;
  const answerTimeoutMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  // setTimeout's range: past it (or NaN) the timer fires at once and every answer would time out.
  if (!Number.isInteger(answerTimeoutMs) || answerTimeoutMs < 1 || answerTimeoutMs > 2_147_483_647) {
    throw new B24InputError(
      'answerTimeoutMs',
      'an integer number of ms between 1 and 2147483647',
      String(answerTimeoutMs),
    );
  }
  // Read here for the sends' backoffs, which keep the reply's status up (see `holdStatus`); refused before any call.
  const policy = resolveStatusPolicy(options.statusPolicy);
  // Refused here, not by the portal at registration (over 40 characters: BOT_TOKEN_INVALID_LENGTH) nor by every
  // answer's status (an empty one); the message names its length only.
  if (validateBotToken(botToken) === undefined) {
    throw new B24InputError('botToken', `a non-empty string of at most ${MAX_BOT_TOKEN_LENGTH} characters`, 'none');
  }
  const events = options.events ?? { mode: 'fetch' };
  refuseBadOptions(options, events);
  const { signal } = options;
  const aborted = () =>
    new B24Error({
      code: 'ABORTED',
      kind: 'network',
      message: 'startBot: registration aborted (its signal) before the portal answered; nothing left running',
      cause: signal?.reason,
    });
  // Before the server listens: nothing to undo.
  if (signal?.aborted) throw aborted();
  // Strings only: an application token left out (JavaScript) is refused later, by the webhook server; here it would
  // make redactSecrets throw on every line, and the log (which drops a throw) say nothing at all.
  const secrets = [
    botToken,
    ...(events.mode === 'webhook' ? [events.applicationToken] : []),
    ...(options.secrets ?? []),
  ].filter((secret) => typeof secret === 'string');
  // A console that throws must not stop the bot: many lines are written from `.catch` handlers and the webhook
  // server's, where the throw would be an unhandled rejection. A failing log has nowhere to report to.
  const log = (line: string) => {
    try {
      options.log?.(redactSecrets(line, secrets));
    } catch {
      // dropped: see above
    }
  };
  /** The bot's name, which a group chat mentions it by (`@LLM Bot …`). */
  const name = options.name ?? 'LLM Bot';
  // botEvents refuses it too, but only once registration has answered: a bad interval would register the bot first.
  if (events.mode === 'fetch' && events.intervalMs !== undefined) validateMs(events.intervalMs, 'events.intervalMs');
  let server: WebhookServer | undefined;
  const incoming = new Subject<BotEvent>();
  // What the portal posts before registration has answered (a restart: the bot and its URL are registered already)
  // waits here until the source below listens, answered 200: the portal does not guarantee retries (reference §4.4),
  // so refusing it would likely lose it. Past `EARLY_EVENTS` the newest are refused (503), not taken with a 200 and
  // dropped, nor pushing out the oldest (already answered 200, and asked longest ago): a refused delivery is one the
  // portal may still retry (not guaranteed, not excluded), a dropped one is lost for sure. Logged once, not per event.
  let early: BotEvent[] | undefined = [];
  let refusedEarly = false;
  if (events.mode === 'webhook') {
    server = await startWebhookServer({
      applicationToken: events.applicationToken,
      ...(events.port === undefined ? {} : { port: events.port }),
      ...(events.host === undefined ? {} : { host: events.host }),
      onEvent: (event) => {
        if (!early) incoming.next(event);
        else if (early.length < EARLY_EVENTS) early.push(event);
        else {
          if (!refusedEarly) log(`more than ${EARLY_EVENTS} events while registering: refusing the rest (503)`);
          refusedEarly = true;
          return false;
        }
        return true;
      },
      onRejected: (reason) => log(`webhook POST refused: ${reason}`),
    });
  }
  const webhookUrl = events.mode === 'webhook' ? (events.publicUrl ?? server?.url) : undefined;

  /**
   * Sends a restart notice to `dialogId` (`sending`) and logs what became of it: on stop, and when registration is
   * aborted. Never rejects: a notice that fails is logged, and the others still go.
   */
  const tellRestart = async (dialogId: string, count: number, why: string, sending: () => Promise<unknown>) => {
    try {
      await sending();
      log(`→ ${dialogId}: told to ask again (${count} message${count === 1 ? '' : 's'} unanswered: ${why})`);
    } catch (e) {
      log(`× ${dialogId}: could not tell of the restart: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const code = options.code ?? 'b24_typing_llm_bot';
  /**
   * Registration aborted (`signal`): the server closed, then, in webhook mode, each chat whose message the portal posted
   * meanwhile told to ask again, as stop() tells it: taken with a 200, it will not come again (reference §4.4), and the
   * person would hear nothing. Registration never named the bot, but the portal posted them for it (a restart: the bot
   * and its URL are registered already) and each names it, by id and code: only ours (`code`) are told. One attempt
   * each, within 5 s in all: the program is exiting. Resolves with the error startBot rejects with.
   */
  const abandonStart = async () => {
    await server?.close();
    const taken = new Map<string, { botId: number; count: number }>();
    const seen = new Set<number>();
    for (const event of early ?? []) {
      const id = addressee(event);
      if (id === undefined || (event.data as { bot?: { code?: unknown } }).bot?.code !== code) continue;
      if (!isUserMessage(event, id) || event.data.user.bot === true || seen.has(event.data.message.id)) continue;
      seen.add(event.data.message.id);
      const { dialogId } = event.data.chat;
      taken.set(dialogId, { botId: id, count: (taken.get(dialogId)?.count ?? 0) + 1 });
    }
    early = undefined;
    const late = new AbortController();
    await within(
      5_000,
      Promise.all(
        [...taken].map(([dialogId, { botId, count }]) =>
          tellRestart(dialogId, count, 'aborted while registering', () =>
            transport.call(
              'imbot.v2.Chat.Message.send',
              { botId, botToken, dialogId, fields: { message: restartNotice(count) } },
              { signal: late.signal },
            ),
          ),
        ),
      ),
    );
    late.abort();
    log('registration aborted: not started');
    return aborted();
  };
  let registered: { bot?: { id?: unknown; eventMode?: unknown } };
  // Registration is idempotent on `code` (reference §4.2), so a refusal that passes (the rate limit, a 5xx, a
  // dropped connection) is tried again with the replies' backoffs, about a minute in all: thrown at once, it would
  // end the bot, and in webhook mode drop the events the portal posted meanwhile (answered 200: not sent again).
  for (let attempt = 1; ; attempt++) {
    try {
      registered = (await transport.call(
        'imbot.v2.Bot.register',
        {
          fields: {
            code,
            botToken,
            type: options.type ?? 'bot',
            eventMode: events.mode,
            ...(webhookUrl ? { webhookUrl } : {}),
            // What a chat shows under its name: not an LLM when the canned demo model answers.
            properties: {
              name,
              workPosition: isLocalModel(options.model)
                ? 'Answers with a local demo model (no LLM)'
                : 'Answers with an LLM',
            },
          },
        },
        signal ? { signal } : undefined,
      )) as typeof registered;
      break;
    } catch (error) {
      if (signal?.aborted) throw await abandonStart();
      if (!passing(error) || attempt >= SEND_ATTEMPTS) {
        await server?.close();
        throw error;
      }
      const waitMs = Math.round(backoffMs(attempt));
      log(`could not register (${error.code}): trying again in ${waitMs} ms`);
      try {
        await sleep(waitMs, signal);
      } catch {
        throw await abandonStart();
      }
    }
  }
  const botId = Number(registered?.bot?.id);
  if (!Number.isSafeInteger(botId) || botId <= 0) {
    await server?.close();
    throw new Error('imbot.v2.Bot.register returned no bot id');
  }
  // Registration is idempotent on `code` and does not update an existing bot: one registered earlier in the
  // other mode would never receive our events.
  const mode = registered.bot?.eventMode;
  if (typeof mode === 'string' && mode !== events.mode) {
    await server?.close();
    throw new Error(
      `bot ${botId} is registered in ${mode} mode; change it with imbot.v2.Bot.update or register under another code`,
    );
  }
  // A public URL (a tunnel's) by its origin only, as the options' checks never echo it: it may carry a key (credentials,
  // a path or query token). The local server's own has none, and its port is what the operator looks for.
  const shownUrl =
    events.mode === 'webhook' && events.publicUrl !== undefined ? new URL(events.publicUrl).origin : webhookUrl;
  log(`registered bot ${botId} (${events.mode} mode${shownUrl ? `, events to ${shownUrl}` : ''})`);

  const statusCalls = trackStatusCalls(transport);
  const indicators = createIndicators({ transport: statusCalls.transport });
  // `clearOnError: false` sends no clear when the model fails: nothing to wait for before telling the user.
  const clearsOnError = options.statusPolicy?.clearOnError !== false;
  const tools = options.tools ?? { webSearch: createSearchTool({ mentions: [name] }) };
  /**
   * Answers in progress: their dialog, when they have ended (their clears landed, their reports sent) and whether a
   * first part of their reply went out, or may have (stop() waits for its word that the rest is missing, or that it may
   * not have reached them: `noticesOver`).
   */
  const running = new Map<
    AbortController,
    { readonly dialogId: string; readonly finished: Promise<void>; readonly replied: () => boolean }
  >();
  const answered = seenBefore<number>(SEEN_MESSAGES);
  // Fetch mode: a poll confirms what the one before delivered (reference §4.4), so the last page is still the portal's
  // when the bot stops, and a restart would get it again: answered twice. stop() confirms what was dealt with (the
  // newest event id taken, plus one) but for the first message whose answer it aborted or never started (`open`).
  let newest: number | undefined;
  const open = new Set<number>();
  /**
   * Per dialog, messages taken and not dealt with yet (running or waiting their turn). Webhook mode: the portal got its
   * 200 for them and will not post them again (reference §4.4), so stop() tells these dialogs to ask again.
   */
  const unanswered = new Map<string, number>();
  /**
   * Aborted when stop() has waited all it will for the answers: ends the rate backoffs of a failure's apology, which
   * would otherwise go on retrying for up to a minute after stop() returned, and every message or clear of an answer
   * not sent yet or still on its way: after stop() the bot sends nothing more.
   */
  const givingUp = new AbortController();
  /**
   * Aborted when stop() has waited all it will for its notices (5 s after `givingUp`): ends the restart notices and the
   * word to a person whose long answer stop() cut after its first parts, which may still be trying when `givingUp` ends.
   */
  const noticesOver = new AbortController();
  /** The source failed or the bot was deleted: a confirmation would be refused the same. */
  let deaf = false;
  const stopping = new Subject<void>();
  let closing = false;

  // Both sources complete after this bot's ONIMBOTV2DELETE, its last event (reference §4.4): botEvents does
  // so itself, the webhook one here, so that a deleted bot ends the same way in either mode.
  const source: Observable<BotEvent> =
    events.mode === 'fetch'
      ? botEvents(transport, {
          botId,
          botToken,
          intervalMs: events.intervalMs ?? 5_000,
        }).pipe(
          tap((event) => {
            if (event.eventId !== undefined) newest = Math.max(newest ?? event.eventId, event.eventId);
          }),
        )
      : incoming.pipe(
          // One handler URL can serve several bots of an app, all signed with the same application token: the
          // token proves the portal sent it, not that it is for this bot (botEvents asks for this bot's alone).
          filter((event) => {
            const to = addressee(event);
            if (to === undefined || to === botId) return true;
            log(`ignored an event for bot ${to} (this is bot ${botId})`);
            return false;
          }),
          takeWhile((event) => !isOwnDelete(event, botId), true),
        );

  const answer = (event: MessageAddEvent): Observable<never> =>
    defer(async () => {
      if (closing) return; // queued behind an answer that stop() aborted: never start after stop
      const { message, chat } = event.data;
      const dialogId = chat.dialogId;
      const controller = new AbortController();
      const done = new Subject<void>();
      const started = Date.now();
      /** The portal refused this dialog's status in a way that refuses any message there too (`cannotPost`). */
      let refused: B24Error | undefined;
      // The model is stopped at once: its answer could not be posted, and every token it writes on is paid for. After
      // the indicator has done with the refusal (this runs while it reports it), so the abort never re-enters it.
      const clearSettled = clearOutcome(indicators, dialogId, (error) => {
        refused ??= error;
        queueMicrotask(() => controller.abort());
      });
      let text: string | undefined;
      /** The model's phase as last read from its stream, shown or not (the show delay may have held it back). */
      let phase: AgentStatus | undefined;
      let hold: HeldStatus | undefined;
      /** A try at the reply failed after it may have landed: its message may have hidden the status already. */
      let doubted = false;
      /**
       * A try at the first part is on its way: should stop() give up on it now, it may land all the same, so stop() waits
       * for this answer's word that it may not have reached them (`doubted` is set only once the abort has come back).
       */
      let firstOnItsWay = false;
      /** The reply went out: dealt with, even should stop() have aborted the answer while it was on the wire. */
      let replied = false;
      /** Of a long answer (`splitMessage`): its messages and how many went out; the apology says what is missing. */
      let partCount = 0;
      let partsSent = 0;
      /** A try at a later part failed after it may have landed (as `doubted` for the first). */
      let partDoubted = false;
      // Aborts the model (as stop() does) but is reported to the user; covers the model only, not the send.
      let timedOut = false;
      /** stop() aborted it before it was answered or had failed: left to the next run (fetch) or to stop()'s notice. */
      let abandoned = false;
      /** It failed, but stop() gave up before its apology could go: left like an abandoned one, not dealt with. */
      let untold = false;
      running.set(controller, {
        dialogId,
        finished: lastValueFrom(done, { defaultValue: undefined }),
        replied: () => replied || doubted || firstOnItsWay,
      });
      const deadline = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, answerTimeoutMs);
      log(`← ${dialogId}: ${JSON.stringify(clip(message.text, 120))}`);
      try {
        const result = streamText({
          model: options.model,
          system: options.system ?? SYSTEM,
          prompt: message.text,
          tools,
          stopWhen: stepCountIs(4),
          abortSignal: controller.signal,
          maxRetries: 1,
          onError: () => {}, // the error reaches us as an `error` part; don't let the SDK log it too
        });
        // One reader of the SDK stream, replayed to both the status and the reply pipelines, so neither can
        // miss a part or stall the other.
        const parts = connectable(from(result.fullStream as AsyncIterable<TextStreamPart<ToolSet>>), {
          connector: () => new ReplaySubject<TextStreamPart<ToolSet>>(),
          resetOnDisconnect: false,
        });
        const status = statusFromStream(parts).pipe(
          // After an abort the SDK still reports the tool's failure (→ thinking): not news for the chat, which
          // should only see the clear.
          takeUntil(fromEvent(controller.signal, 'abort')),
          tap((s) => {
            phase = s;
            log(`  ${dialogId}: ${s}`);
          }),
        );
        // The SDK ends its stream on abort only once the provider's stream and the running tool let go: one that
        // ignores the signal (a tool's fetch without it) would hold the answer, its status and the dialog's next
        // messages past the answer timeout and stop(). The abort ends the wait for the text itself (cleared, told).
        const aborted = new Observable<never>((subscriber) => {
          const fail = () => subscriber.error(new DOMException('The reply was aborted', 'AbortError'));
          if (controller.signal.aborted) return fail();
          controller.signal.addEventListener('abort', fail, { once: true });
          return () => controller.signal.removeEventListener('abort', fail);
        });
        const reply = lastValueFrom(
          replyText(parts).pipe(
            raceWith(aborted),
            withStatus(indicators, {
              ...options.statusPolicy,
              dialogId,
              botId,
              botToken,
              status,
            }),
          ),
        );
        parts.connect();
        text = await reply;
        clearTimeout(deadline);
        if (refused) throw refused; // refused as the text came: the reply would be refused the same
        // A status change still on its way in a batch shared with other dialogs (not aborted by the reply) lands
        // first, and so does the clear core sends after it: after the reply's message they would show over the answer.
        await statusCalls.settled(dialogId, controller.signal, clearSettled.cleared);
        // withStatus stopped the status before `reply` resolved: no indicator call can follow this message. A send
        // refused for the rate limit waits with the status held up (the bot is still at work), never sending both at once.
        hold = holdStatus(dialogId, clearSettled.shown(), phase, started + policy.delayMs, controller.signal);
        // An answer over the portal's message limit goes out whole, in several messages: one would be cut.
        const [first = text, ...rest] = splitMessage(text);
        partCount = rest.length + 1;
        // An attempt on its way when stop() aborts the answer goes on (it may have landed) until stop() gives up; none
        // starts after it (a part is started only while the answer runs).
        const held = hold;
        controller.signal.throwIfAborted();
        await send(dialogId, first, givingUp.signal, {
          wait: (ms, mayHaveLanded) => (mayHaveLanded ? sleep(ms, controller.signal) : held.wait(ms)),
          onDoubt: () => {
            doubted = true;
          },
          onTheWire: (yes) => {
            firstOnItsWay = yes;
          },
        });
        replied = true;
        partsSent = 1;
        // The first message hid the status: the rest is sent with no status call (plain backoffs), never one after it.
        for (const part of rest) {
          partDoubted = false;
          // stop() aborted the answer while the part before was on its way: that one may finish, no new one starts.
          controller.signal.throwIfAborted();
          await send(dialogId, part, givingUp.signal, {
            wait: (ms) => sleep(ms, controller.signal),
            onDoubt: () => {
              partDoubted = true;
            },
          });
          partsSent++;
        }
        log(
          `→ ${dialogId}: replied in ${Date.now() - started} ms${rest.length > 0 ? ` (${rest.length + 1} messages)` : ''}`,
        );
      } catch (error) {
        clearTimeout(deadline); // the failure is what it is: a deadline passing while we wait below must not rename it
        // Read now: a model that failed before stop() came is reported even should stop() abort the waits below.
        // A later part the portal refused (its own code, not the ABORTED of stop() giving up) while it was on its way
        // as stop() aborted the answer failed all the same: reported as a failed part is, not as one stop() cut.
        const refusedPart = replied && error instanceof B24Error && error.code !== 'ABORTED';
        abandoned = controller.signal.aborted && !timedOut && !refusedPart;
        // No reply: withStatus clears the status (duration 1). Let that land before anything else is said, so the
        // chat reads "status gone, then the apology", never a status call after the bot's last message.
        // A status that never went out (still within the show delay) has no clear to wait for: settled at once.
        // As long as a clear on its way may take: core aborts it after 10 s (`REQUEST_LIMIT_MS`), the bound the reply's
        // wait has too (`statusCalls.settled`). A shorter one (it was 5 s) let a slow portal take the apology first: the
        // clear landing under it showed the status again for its second. Not longer, to a clear held back by core's rate
        // backoff: an indicator's trouble must not hold up what the person is told.
        if (text === undefined && clearsOnError) await clearSettled.wait(REQUEST_LIMIT_MS);
        // The bot cannot post in this dialog (not a member any more, the chat or the bot gone): a clear and an apology
        // would be refused like the status (that clear included) or the reply was. Said once, here; a model error is
        // never such a proof.
        const unpostable = refused ?? (text !== undefined && cannotPost(error) ? error : undefined);
        if (unpostable) {
          log(
            `× ${dialogId}: the portal refused the ${refused ? 'status' : 'reply'} (${unpostable.code}): ` +
              'the bot cannot post in this dialog; answer abandoned',
          );
          return;
        }
        // A reply that was ready but not sent (refused, or stop() during a backoff) left its status up: it stopped
        // when the text came, counting on the reply's message to hide it, and no message came. Clear it here, or
        // it stays for its whole lease (30 s by default) should the apology below not get through either.
        // Not after a first part of the reply went out, or may have (`doubted`): its message hid the status, and
        // nothing may follow it. Should it not have landed, the apology's message hides the status instead.
        const shown =
          text === undefined || !clearsOnError || replied || doubted
            ? undefined
            : (hold?.shown() ?? clearSettled.shown());
        // As long as a status call may take (`REQUEST_LIMIT_MS`, core's bound on its own), then abandoned: a shorter
        // wait (it was 5 s) let a slow portal take the apology first, and the clear landing under it showed the status
        // again for its second; one left on the wire could still land after the apology.
        if (shown) {
          const late = new AbortController();
          await within(REQUEST_LIMIT_MS, clear(dialogId, shown.code, AbortSignal.any([givingUp.signal, late.signal])));
          late.abort();
        }
        // stop() cut a long answer after its first parts went out: dealt with all the same (no restart notice, which
        // says "could not answer", nor fetch mode's next run, which would send it again from the start, may take it),
        // so the person is told the rest is missing as a failed later part is, not left with an answer stopping short.
        // So is one whose first part may have landed (`doubted`: waiting to be sent once more, or on its way when stop()
        // gave up): told it may not have reached them, as when that try fails, not denied ("could not answer") under a
        // message they may be reading.
        const cut = abandoned && (replied || doubted);
        if (abandoned) {
          log(
            `× ${dialogId}: ${text === undefined ? 'answer aborted, status cleared' : `stopped before the ${replied ? 'rest of the ' : ''}reply was sent`}`,
          );
          if (!cut) return;
          // Ended by `givingUp`, a part was on its way (a backoff ends at the start of stop()): it may have landed.
          if (givingUp.signal.aborted) partDoubted = true;
        } else {
          const reason = timedOut
            ? describeFailure(error, answerTimeoutMs) // ours: the same words in the log and the chat
            : error instanceof Error
              ? error.message
              : String(error);
          log(
            `× ${dialogId}: ${text === undefined ? 'model failed' : `could not send the ${replied ? 'rest of the ' : ''}reply`}: ${reason}`,
          );
        }
        // stop() gave up while this waited (a clear slow to land, within its 10 s: past stop()'s 8 s): nothing goes out
        // now, and with no word at all the person would wait for good on a message the portal will not deliver again.
        // Left unanswered, as an aborted one is: the restart notice (webhook mode) or the next run (fetch) takes it.
        // Not after a reply that went out or may have: "could not answer" would contradict it.
        if (givingUp.signal.aborted && !replied && !doubted) {
          untold = true;
          log(`× ${dialogId}: could not report the failure: stopping (left to the restart notice or the next run)`);
          return;
        }
        // After a reply that may have landed, "could not answer" could contradict the answer just above it; after the
        // first parts of a long one went out, it would deny what the person is reading: they are told the rest is missing.
        // The kind of failure only, never `reason`: a provider's error text is the operator's (logged above), and may
        // name its URL, an organisation or a masked key (`describeFailure`).
        const why = cut ? 'I am restarting' : describeFailure(error, timedOut ? answerTimeoutMs : undefined);
        const apology = replied
          ? partDoubted
            ? `Sorry, the rest of my answer may not have reached you (${why}). If it stops short above, please ask again for the rest.`
            : `Sorry, my answer above is incomplete (${partsSent} of its ${partCount} parts sent): I could not send the rest (${why}). Please ask again for the rest.`
          : doubted
            ? `Sorry, my answer may not have reached you (${why}). If you do not see it above, please ask again.`
            : `Sorry, I could not answer that: ${why}`;
        const missing = replied ? 'rest of the reply is' : 'reply may be';
        // A cut one within stop()'s bound on its notices (`noticesOver`): `givingUp` may have ended already (its part on
        // its way when stop() gave up), and stop() waits for it.
        await send(dialogId, apology, cut ? noticesOver.signal : givingUp.signal, { resendDoubted: false }).then(
          () => {
            if (cut) log(`→ ${dialogId}: told that the ${missing} missing (stopping)`);
          },
          (e: unknown) =>
            log(
              `× ${dialogId}: could not ${cut ? `tell that the ${missing} missing` : 'report the failure'}: ${e instanceof Error ? e.message : String(e)}`,
            ),
        );
      } finally {
        // Answered or reported; only one stop() aborted is left for the portal to deliver again.
        // An answer the portal refused is dealt with too: delivered again, it would be refused again.
        if (replied || doubted || !(abandoned || untold) || refused) {
          open.delete(event.eventId ?? -1);
          const left = (unanswered.get(dialogId) ?? 1) - 1;
          if (left > 0) unanswered.set(dialogId, left);
          else unanswered.delete(dialogId);
        }
        clearTimeout(deadline);
        clearSettled.release();
        running.delete(controller);
        done.complete();
      }
    }).pipe(mergeMap(() => EMPTY));

  /** The bot's status call, as its indicator sends it, sent directly (as the replies are): `code` shown `durationSec`. */
  const notify = (dialogId: string, code: string | undefined, durationSec: number, signal?: AbortSignal) =>
    transport.call(
      'imbot.v2.Chat.InputAction.notify',
      { botId, botToken, dialogId, ...(code === undefined ? {} : { statusMessageCode: code }), duration: durationSec },
      signal ? { signal } : undefined,
    );

  /**
   * `duration: 1` for a status its indicator has already stopped (so that one sends no clear of its own). The same
   * call the indicator's clear is. A failure is logged, not thrown: the lease ends the status anyway. `signal` ends it
   * (by default once stop() has given up).
   */
  const clear = (dialogId: string, code: string | undefined, signal = givingUp.signal) =>
    // Not once stop() has given up (`givingUp`): nothing goes out after it returned; the lease ends the status.
    notify(dialogId, code, 1, signal).catch((e: unknown) =>
      log(`× ${dialogId}: could not clear the status: ${e instanceof Error ? e.message : String(e)}`),
    );

  /**
   * A wait between attempts to send a reply that keeps its status up: the status stopped when the text was ready,
   * counting on the message to hide it within one lease, and a minute of backoffs would let it lapse while the bot is
   * still at work. Renewed (the status the portal last showed, for one more lease) only when it would lapse before
   * the next attempt, and awaited before that attempt, so no status call is ever on the wire with the message or
   * after it. A renewal the portal refuses for its rate limit is tried again a second later while the status is
   * still up; any other refusal ends the renewals (the lease ends the status as before).
   * When none was up (the text came within the show delay, or before the first status call landed), the model's last
   * phase is shown once the show delay (`showAt`) has passed: a minute of retries with nothing on screen reads as a
   * bot that ignored the question. `shown()`: what this put up last, for the clear should the reply never go out.
   */
  const holdStatus = (
    dialogId: string,
    shown: Shown | undefined,
    phase: AgentStatus | undefined,
    showAt: number,
    signal: AbortSignal,
  ): HeldStatus => {
    const leaseMs = policy.leaseSec * 1000;
    const marginMs = Math.min(policy.marginMs, leaseMs / 2);
    // A phase not shown yet "lapses" at once: its first call is due when the show delay ends.
    let held: Shown | undefined = shown ?? { code: phase && statusMessageCode(phase), until: showAt + marginMs };
    let due = held.until - marginMs;
    let landed = shown;
    const wait = async (waitMs: number) => {
      const resumeAt = Date.now() + waitMs;
      while (held && due < resumeAt) {
        await sleep(Math.max(0, due - Date.now()), signal);
        const at = Date.now();
        try {
          await notify(dialogId, held.code, policy.leaseSec, signal);
          held = { code: held.code, until: at + leaseMs };
          landed = held;
          due = held.until - marginMs;
        } catch (error) {
          if (signal.aborted) throw error;
          // One not up yet (`landed` unset) has no lapse to beat: tried again in the next wait, not every second
          // against a portal already refusing both it and the reply.
          if (error instanceof B24Error && error.kind === 'rate' && !landed) due = resumeAt;
          else if (error instanceof B24Error && error.kind === 'rate' && at + 1_000 < held.until) due = at + 1_000;
          else {
            log(`× ${dialogId}: could not renew the status: ${error instanceof Error ? error.message : String(error)}`);
            held = undefined;
          }
        }
      }
      await sleep(Math.max(0, resumeAt - Date.now()), signal);
    };
    return { wait, shown: () => landed };
  };

  // The portal refuses a request over its rate limit before running it (reference §7), so sending again cannot
  // post twice: back off and retry rather than lose a reply that dialogs answered in parallel all want to send.
  // A failure that may come after the portal ran the call (a 5xx, a dropped connection, a timeout) is sent once more,
  // accepting a rare double: Message.send has no idempotency key (its `templateId` is not documented as one, §4.3)
  // and no method to read the chat back is documented, so the bot cannot look whether it landed, and given up the
  // person gets no answer at all. Only once: a portal that fails that way again is down, and each further try
  // could post yet another copy. From then on `wait` is told (`mayHaveLanded`): a message that landed hid the status,
  // so no status call may follow; `onDoubt` tells the caller, whose clear would be one too. It is told too when `signal`
  // ends an attempt on its way (stop() giving up): the portal may have run it all the same. `onTheWire(true)` as each
  // attempt starts, `(false)` once it failed (after `onDoubt`; one that succeeded resolves `send`): for stop(), which
  // reads it the moment it gives up, before that abort has come back.
  // `signal` ends the sending: once it is aborted no attempt is made, and one still on its way (a slow connection) is
  // abandoned, so nothing goes out once stop() has given up (`givingUp`, the notices' bound), not even a first
  // attempt; and by default it ends the waits between attempts: stop() does not wait out a backoff. `wait` replaces
  // the plain sleep (the reply's ends when its answer is aborted, at the start of stop()).
  // `resendDoubted: false` (an apology, a restart notice): no second try after such a failure. The trade that pays
  // for an answer does not for the bot's own word: lost, the person misses a notice; doubled, they read the same
  // apology twice. Rate refusals (refused before running) are retried all the same.
  const send = async (
    dialogId: string,
    message: string,
    signal: AbortSignal,
    {
      wait = (ms) => sleep(ms, signal),
      onDoubt,
      resendDoubted = true,
      onTheWire,
    }: {
      wait?: (ms: number, mayHaveLanded: boolean) => Promise<void>;
      onDoubt?: () => void;
      resendDoubted?: boolean;
      onTheWire?: (yes: boolean) => void;
    } = {},
  ) => {
    let doubted = false;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      onTheWire?.(true);
      try {
        return await transport.call(
          'imbot.v2.Chat.Message.send',
          { botId, botToken, dialogId, fields: { message } },
          { signal },
        );
      } catch (error) {
        if (signal.aborted) {
          onDoubt?.(); // abandoned on its way: it may have landed
          onTheWire?.(false);
          throw error;
        }
        onTheWire?.(false);
        if (attempt >= SEND_ATTEMPTS) throw error;
        if (!(error instanceof B24Error && error.kind === 'rate')) {
          if (doubted || !resendDoubted || !passing(error)) throw error;
          doubted = true;
          onDoubt?.();
          log(
            `× ${dialogId}: a message failed after it may have reached the portal (${error.code}): sending it once more`,
          );
        }
        await wait(backoffMs(attempt), doubted);
      }
    }
  };

  const subscription: Subscription = source
    .pipe(
      // The source itself completing (not stop(), whose takeUntil below unsubscribes it without a complete)
      // means the bot was deleted. Reported at once, not after the answers in flight end: they cannot be sent.
      tap({
        complete: () => {
          if (closing) return;
          deaf = true;
          log(`event source ended: bot ${botId} was unregistered (ONIMBOTV2DELETE)`);
          options.onError?.(
            new B24Error({
              code: 'BOT_NOT_FOUND',
              kind: 'input',
              message: `BOT_NOT_FOUND: bot ${botId} was unregistered (ONIMBOTV2DELETE, its last event)`,
            }),
          );
        },
      }),
      takeUntil(stopping),
      mergeMap((event) => (isUserMessage(event, botId) ? [event] : [])),
      // Another bot's message (`user` is its author) is not a question: two bots that answer each other would
      // talk forever, each reply spending the portal's rate budget.
      filter((event) => {
        if (event.data.user.bot !== true) return true;
        log(`ignored a message from bot ${event.data.user.id} in ${event.data.chat.dialogId}`);
        return false;
      }),
      // The platform promises no retries, yet the same event can come twice (a proxy retrying the POST, the handler
      // URL registered for two bots of the app …): one question, one answer.
      filter((event) => {
        if (!answered(event.data.message.id)) return true;
        log(`ignored message ${event.data.message.id}: already taken`);
        return false;
      }),
      tap((event) => {
        if (event.eventId !== undefined) open.add(event.eventId);
        const { dialogId } = event.data.chat;
        unanswered.set(dialogId, (unanswered.get(dialogId) ?? 0) + 1);
      }),
      // Each dialog's messages in turn, dialogs in parallel; a dialog with nothing to answer holds nothing.
      inTurn((event) => event.data.chat.dialogId, answer),
    )
    .subscribe({
      error: (error: unknown) => {
        deaf = true;
        log(`event source failed: ${error instanceof Error ? error.message : String(error)}`);
        options.onError?.(error);
      },
    });
  const waiting = early;
  early = undefined;
  for (const event of waiting) incoming.next(event);

  /**
   * `Event.get` with the offset below which every event was dealt with: it confirms them (`limit: 1`, read nothing).
   * One refused, or not answered within 5 s, leaves them with the portal, which delivers them again to the next run:
   * the messages answered already are answered twice (what was answered is remembered in memory only). The log says
   * so, so that the operator can tell why. One not answered in time is aborted, not left on the wire: the CLI's next
   * step, the transport's graceful close(), would wait for it until the transport's own deadline, or for good.
   */
  const confirmDealtWith = async () => {
    if (newest === undefined || deaf) return;
    let offset = newest + 1;
    for (const id of open) offset = Math.min(offset, id);
    const unconfirmed = (why: string) =>
      log(
        `could not confirm the events taken (${why}): the portal delivers them again to the next run, ` +
          'which answers those messages twice',
      );
    const late = new AbortController();
    const inTime = await within(
      5_000,
      transport
        .call('imbot.v2.Event.get', { botId, botToken, offset, limit: 1 }, { signal: late.signal })
        .catch((e: unknown) => {
          if (!late.signal.aborted) unconfirmed(e instanceof Error ? e.message : String(e));
        }),
    );
    late.abort();
    if (!inTime) unconfirmed('no answer within 5 s');
  };

  /**
   * Webhook mode, on stop: one message per dialog with messages taken and not answered (aborted, failed and not
   * reported, or waiting their turn), rather than a silence the user cannot tell from being ignored. Where an answer is
   * still running (its clear not landed within stop()'s wait: that wait is 10 s, core's bound on the clear, and may
   * have begun just before stop()) the notice waits for it to end, within this bound: sent first, the notice would have
   * that status call land under it, showing the status again; never sent, the person hears nothing. `signal` ends the
   * rate backoffs between attempts and that wait, so no notice is still being tried once stop() has returned.
   */
  const tellUnanswered = (signal: AbortSignal) =>
    Promise.all(
      [...unanswered.keys()].map(async (dialogId) => {
        const given = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        const finishing = [...running.values()].filter((r) => r.dialogId === dialogId).map((r) => r.finished);
        await Promise.race([Promise.all(finishing), given]);
        const count = unanswered.get(dialogId);
        if (count === undefined) return; // its answer, still running, was dealt with in the end (its apology went)
        if (signal.aborted) {
          log(`× ${dialogId}: could not tell of the restart: its answer did not end in time`);
          return;
        }
        await tellRestart(dialogId, count, 'stopping', () =>
          send(dialogId, restartNotice(count), signal, { resendDoubted: false }),
        );
      }),
    );

  let stopped: Promise<void> | undefined;
  return {
    botId,
    ...(webhookUrl ? { webhookUrl } : {}),
    busy: () => running.size,
    stop: () => {
      stopped ??= (async () => {
        closing = true;
        stopping.next();
        await server?.close();
        const pending = [...running];
        for (const [controller] of pending) controller.abort();
        await within(8_000, Promise.all(pending.map(([, { finished }]) => finished)));
        givingUp.abort();
        // Bounded like the wait above: a portal refusing for its rate limit would otherwise hold the exit a minute.
        // In either mode an answer cut after its first parts tells the person the rest is missing, within it.
        const cut = [...running.values()].filter((r) => r.replied()).map((r) => r.finished);
        const restart = events.mode === 'webhook' && !deaf ? tellUnanswered(noticesOver.signal) : undefined;
        await within(5_000, Promise.all([...cut, restart]));
        noticesOver.abort();
        subscription.unsubscribe();
        indicators.dispose();
        await confirmDealtWith();
      })();
      return stopped;
    },
  };
}

/**
 * The options the portal, node:http or the first answer would otherwise refuse, refused before any call and before
 * the webhook server listens (it checks its port, host and application token itself, first thing): a mode the bot
 * has no source for, or a public URL the portal cannot post to, would register a deaf bot or be refused only after
 * the server listened; a `log` that is no function would throw just after registering. No value of a URL is echoed:
 * a tunnel's may carry a key.
 */
function refuseBadOptions(options: BotOptions, events: EventSource): void {
  const nonEmpty = (value: unknown) => typeof value === 'string' && value.trim() !== '';
  if (typeof (options.transport as Partial<Transport> | undefined)?.call !== 'function') {
    throw new B24InputError('transport', 'a Transport (e.g. createWebhookTransport(webhookUrl))');
  }
  const model: unknown = options.model;
  if (!nonEmpty(model) && (typeof model !== 'object' || model === null)) {
    throw new B24InputError('model', 'an AI SDK language model');
  }
  if (options.code !== undefined && !nonEmpty(options.code)) throw new B24InputError('code', 'a non-empty string');
  if (options.name !== undefined && !nonEmpty(options.name)) throw new B24InputError('name', 'a non-empty string');
  if (options.type !== undefined && !BOT_TYPES.includes(options.type)) {
    throw new B24InputError('type', BOT_TYPES.map((t) => `'${t}'`).join(', '), String(options.type));
  }
  if (options.system !== undefined && typeof options.system !== 'string') {
    throw new B24InputError('system', 'a string');
  }
  if (options.tools !== undefined && (typeof options.tools !== 'object' || options.tools === null)) {
    throw new B24InputError('tools', 'an object of AI SDK tools');
  }
  const { secrets } = options;
  if (secrets !== undefined && !(Array.isArray(secrets) && secrets.every((secret) => typeof secret === 'string'))) {
    throw new B24InputError('secrets', 'an array of strings');
  }
  for (const field of ['log', 'onError'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') {
      throw new B24InputError(field, 'a function');
    }
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new B24InputError('signal', 'an AbortSignal');
  }
  const mode: unknown = events.mode;
  if (mode !== 'fetch' && mode !== 'webhook') {
    throw new B24InputError('events.mode', "'fetch' or 'webhook'", nonEmpty(mode) ? String(mode) : typeof mode);
  }
  if (events.mode === 'webhook' && events.publicUrl !== undefined && !isHttpUrl(events.publicUrl)) {
    throw new B24InputError('events.publicUrl', 'an absolute http(s) URL the portal can post to');
  }
}

/** What a chat with `count` messages taken and not answered is told when the bot stops (webhook mode). */
function restartNotice(count: number): string {
  return count === 1
    ? 'Sorry, I am restarting and could not answer your message. Please send it again in a minute.'
    : `Sorry, I am restarting and could not answer your last ${count} messages here. Please send them again in a minute.`;
}

/** The wait after failed attempt `attempt` (from 1): 0.5, 1, 2, 4, 8, 8 … s, ±50 % so that retries spread out. */
function backoffMs(attempt: number): number {
  return Math.min(8_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random());
}

/**
 * A refusal that may not come again: the rate limit (refused before running), a server error, a connection that
 * failed or timed out. Not a transport the app closed (`CLIENT_CLOSED`): no call through it can succeed any more.
 */
function passing(error: unknown): error is B24Error {
  return (
    error instanceof B24Error &&
    ['rate', 'server', 'network', 'timeout'].includes(error.kind) &&
    error.code !== 'CLIENT_CLOSED'
  );
}

/** This bot's own `ONIMBOTV2DELETE`: the last event it gets. */
function isOwnDelete(event: BotEvent, botId: number): boolean {
  return event.type === 'ONIMBOTV2DELETE' && event.data.bot.id === botId;
}

/** The bot a v2 event names (`data.bot.id`); undefined for one that names none. */
function addressee(event: BotEvent): number | undefined {
  const id = (event.data as { bot?: { id?: unknown } }).bot?.id;
  return typeof id === 'number' ? id : undefined;
}

/** A user's message to this bot; not the bot's own replies, not system messages. */
function isUserMessage(event: BotEvent, botId: number): event is MessageAddEvent {
  return (
    event.type === 'ONIMBOTV2MESSAGEADD' &&
    event.data.message.authorId !== botId &&
    event.data.message.isSystem !== true &&
    event.data.message.text.trim() !== ''
  );
}

/** The reply's status held up while its send is retried (`holdStatus`). */
interface HeldStatus {
  /** Replaces the plain sleep between attempts to send. */
  wait(ms: number): Promise<void>;
  /** The status last accepted (by the indicator, or renewed while waiting); undefined if none. */
  shown(): Shown | undefined;
}
