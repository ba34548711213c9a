import { bindTyping, createFetchTransport, submits } from '@b24-typing/browser';
import { createTypingIndicators } from '@b24-typing/core';
import { isB24Error } from '@b24-typing/core';
import type { IndicatorEvent, Transport } from '@b24-typing/core';
import { Subject, filter, interval, map, merge, share, tap } from 'rxjs';
import { emulatorFeed } from './emulatorFeed';
import { keepSentCalls } from './keepSentCalls';
import { keptText } from './keptText';
import { loadButtons } from './loadButtons';
import { loadHistory } from './loadHistory';
import { looksBlank } from './shownText';
import { EmulatorUnreachable, getJson, loadConfig, readSettings } from './loadConfig';
import type { ChatConfig, ChatSettings } from './loadConfig';
import type { Outgoing } from './createMessageList';
import { createChatView, initial, isolated, say } from './renderChat';
import type { Person } from './renderChat';
import { withTimeout } from './withTimeout';

interface EmulatorState {
  /** Which process and reset count it is in (`<process>-<resets>`): the feed tells when that changes. */
  readonly epoch: string;
  readonly users: readonly Person[];
  readonly chats: readonly { readonly id: number; readonly title: string; readonly members: readonly number[] }[];
}

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Waits until the emulator answers, saying so on the page: it may well be started after the page is opened. */
async function connect(settings: ChatSettings): Promise<{ config: ChatConfig; state: EmulatorState }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const config = await loadConfig(settings);
      const state = await getJson<EmulatorState>(`${settings.emulatorUrl}/_emulator/state`);
      return { config, state };
    } catch (error) {
      if (!(error instanceof EmulatorUnreachable)) throw error;
      const retryInMs = Math.min(500 * 2 ** attempt, 5_000);
      const code = (text: string): HTMLElement => {
        const element = document.createElement('code');
        element.textContent = text;
        return element;
      };
      say(
        byId('offline'),
        `Waiting for the emulator at ${settings.emulatorUrl} (${error.message}). Start it with `,
        code('pnpm demo'),
        ', or ',
        code('pnpm --filter @b24-typing/example-chat-ui emulator'),
        '; this page connects when it is up.',
      );
      const connection = byId('connection');
      connection.dataset.state = 'down';
      connection.textContent = `Waiting for ${settings.emulatorUrl}`;
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

/**
 * The side panel's entry is a link to this very page, query and all (which emulator, which chat): opened in a new tab
 * or window, it shows the same chat. Followed here it would reload the page, and her draft and any message not sent
 * would be lost: she is there already, so it goes back to the composer.
 */
function linkToThisChat(): void {
  const link = byId<HTMLAnchorElement>('chat-link');
  link.href = window.location.href;
  link.addEventListener('click', (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    byId('message').focus();
  });
}

async function start(): Promise<void> {
  linkToThisChat();
  const { config, state } = await connect(readSettings(window.location));
  const chatId = Number(config.dialogId.slice(4));
  const people = new Map(state.users.map((u) => [u.id, u]));
  /**
   * The tab's title names the chat (several tabs, several chats: each tells which), and while the tab is hidden, how
   * many messages of others came since, as messengers do: the only sign of them from another tab. Seen once shown.
   */
  let chatName: string = config.dialogId;
  let unread = 0;
  const renderTitle = (): void => {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${chatName} · b24-typing`;
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') return;
    unread = 0;
    renderTitle();
  });
  const renderHeader = ({ chats }: EmulatorState): void => {
    const chat = chats.find((c) => c.id === chatId);
    const title = chat?.title ?? config.dialogId;
    chatName = title;
    renderTitle();
    byId('chat-title').textContent = title;
    byId('chat-link-title').textContent = title;
    // Each name isolated: two right-to-left names in a row would otherwise swap places around their comma.
    const members = chat?.members.map((id) => isolated(people.get(id)?.name ?? `User ${id}`)) ?? [];
    byId('chat-sub').replaceChildren(...members.flatMap((member, i) => (i === 0 ? [member] : [', ', member])));
    for (const id of ['chat-avatar', 'header-avatar']) byId(id).textContent = initial(title);
  };
  renderHeader(state);
  // Someone who joined after the page loaded (a bot started later, say) is looked up once, then named everywhere.
  const lookedUp = new Set<number>();
  const lookUp = (id: number): void => {
    if (lookedUp.has(id)) return;
    lookedUp.add(id);
    getJson<EmulatorState>(`${config.emulatorUrl}/_emulator/state`).then(
      (fresh) => {
        for (const user of fresh.users) people.set(user.id, user);
        renderHeader(fresh);
        view.rename();
      },
      () => lookedUp.delete(id), // asked again next time they appear
    );
  };
  /** What the composer held before and after a deleted message's words were given back to it. */
  const givenBack = new WeakMap<Outgoing, { before: string; after: string }>();
  /** Deleted while their call was still open (see `post`: the same words sent again wait for that call). */
  const deletedOpen = new WeakSet<Outgoing>();
  const view = createChatView({
    chatId,
    me: config.userId,
    people,
    retry: (message) => {
      post(message);
      textarea.focus();
    },
    // What she wrote is not lost with it: back in the composer, to change, send again or clear. A draft she started
    // meanwhile stays, under it (never written over); the caret after the deleted words, where she left off.
    deleted: (message) => {
      if (open.has(message)) deletedOpen.add(message);
      const before = textarea.value;
      const draft = before.trim() === '' ? '' : `\n${before}`;
      textarea.value = `${message.text}${draft}`;
      givenBack.set(message, { before, after: textarea.value });
      fit();
      textarea.focus();
      textarea.setSelectionRange(message.text.length, message.text.length);
    },
    // Deleted while its call was open, and stored all the same: everyone has it now, and sent again from the composer
    // it would be there twice. Words she has not touched since are taken back out (her draft stays as it was); once
    // she has changed them, they are hers: left, and she is told it was sent (the list says so).
    storedAfterAll: (message) => {
      const given = givenBack.get(message);
      if (given === undefined || textarea.value !== given.after) return false;
      textarea.value = given.before;
      fit();
      return true;
    },
    unknown: lookUp,
    received: () => {
      if (document.visibilityState !== 'hidden') return;
      unread++;
      renderTitle();
    },
    // Through the transport her messages go out by, which takes the seed's token again on `NO_AUTH_FOUND`: the list
    // asks as it rebuilds after the emulator started over, before the page's own reseed has a token this emulator
    // knows. Straight through `rest` it was refused, and the message said "[buttons or an attachment]" until shown
    // again. Asked only once the stream showed a message, by then `transport` is there.
    buttons: (ids) => loadButtons(transport, config.dialogId, ids),
  });

  const reseed = (): void => {
    config.reseed().catch((error: unknown) => console.warn('could not read the emulator seed again', error));
  };

  // The library part: one transport, the page's typing indicators, one line for the composer.
  const rest = createFetchTransport({ clientEndpoint: `${config.emulatorUrl}/rest/`, auth: config.auth });
  const transport = reseedOnNoAuth(rest, config.reseed);
  // Her typing calls, which core aborts when she sends, are not called back: her message waits for them (`post`).
  const typing = keepSentCalls(transport);
  const indicators = createTypingIndicators({ transport: typing.transport });
  const textarea = byId<HTMLTextAreaElement>('message');
  /**
   * Her messages go out one at a time, in the order she sent them: sent side by side, a slow first one would be stored
   * after the next, and everyone would read them swapped. One that fails does not hold up the rest (Retry queues it).
   * One the portal does not answer is given up on after `SEND_TIMEOUT_MS` (not the transport's 15 s): the ones behind
   * it would wait that long at "Sending…" too. Given up on, not aborted: the portal may have it and store it late, and
   * its answer (up to the transport's own timeout) then settles it as sent. Until that answer, a Retry waits for it
   * instead of sending it a second time.
   */
  let queue: Promise<unknown> = Promise.resolve();
  const open = new Map<Outgoing, Promise<unknown>>();
  /**
   * The portal hid her indicator, which bindTyping may still count as shown: a message of hers was stored (its answer),
   * which hides also what keys of her next one showed meanwhile (it was slow to go out, or waited behind another), or
   * the emulator started over. Told to bindTyping as a send, so her next key shows her again at once, not at the next
   * renewal (22 s later with the real policy). `hiddenBy` is what the panel's line says meanwhile (unset: a message).
   */
  const hidden = new Subject<void>();
  let hiddenBy: string | undefined;
  const portalHid = (why?: string): void => {
    hiddenBy = why;
    hidden.next(); // its `stopped` event, if she was shown, comes at once (onEvent below)
    hiddenBy = undefined;
  };
  const post = (message: Outgoing): void => {
    view.sending(message);
    // The same words as a message she deleted while its call was still open (typed again, or what Delete gave back,
    // sent) are that message once more: sent beside it, the chat would have it twice should the portal store the
    // first. It waits for that call's answer, as a Retry does: stored, the first one is this one; not, this one goes.
    const resent = [...open.keys()].find((m) => m !== message && deletedOpen.has(m) && m.text === message.text);
    if (resent) {
      deletedOpen.delete(resent);
      view.replaced(resent);
    }
    const earlier = open.get(message) ?? (resent && open.get(resent));
    const send = () => transport.call('im.message.add', { DIALOG_ID: config.dialogId, MESSAGE: message.text });
    const turn = queue.then(async () => {
      // After any typing call of hers already on its way has settled (bounded): landing after her message, it would
      // show her typing for its whole lifetime after it.
      await typing.settled(WRITING_SETTLE_MS);
      const answer = earlier ? earlier.catch(send) : send();
      open.set(message, answer);
      let answered = false;
      const settled = (): void => {
        answered = true;
        if (open.get(message) === answer) open.delete(message);
      };
      answer.then(
        (id) => {
          settled();
          view.sent(message, Number(id));
          portalHid();
        },
        (error: unknown) => {
          // Retried meanwhile: that Retry waited for this answer and sends it again now, so it is on its way, not
          // "Not sent"; the Retry's own answer tells what became of it.
          const retried = open.get(message) !== answer;
          settled();
          if (!retried) view.failed(message, whyNotSent(error), answerLost(error), errorCode(error));
        },
      );
      return withTimeout(SEND_TIMEOUT_MS, answer).catch((error: unknown) => {
        // Given up on before its answer: only that tells whether the portal stored it, so its echo is taken till then.
        if (!answered) view.failed(message, whyNotSent(error), true, errorCode(error), true);
        throw error;
      });
    });
    queue = turn.catch(() => undefined);
  };

  const sends = submits(textarea, { enterToSend: true }).pipe(
    tap((event) => {
      event.preventDefault();
      textarea.focus(); // a click on the send button took it away; the next message is typed here
    }),
    map(() => textarea.value.trim()),
    // A blank composer sends nothing, so it must not stop the indicator either: nothing hid it on the portal. Blank as
    // the portal keeps it (keptText): `[BR]` alone is a new line trimmed away, a message it refuses ("Message isn't
    // added"), which the page would put down to the chat. Blank also to the eye (looksBlank): `[BR]`s around a no-break
    // space, which PHP's trim keeps, would be stored and show nothing.
    filter((text) => !looksBlank(keptText(text))),
    share(),
  );
  const counts = { sent: 0, renewed: 0 };
  bindTyping(textarea, {
    indicators,
    dialogId: config.dialogId,
    // Her send stops renewing it at once; the portal hides it when it stores the message, which may be later.
    sentOn: merge(sends, hidden),
    policy: config.policy,
    onEvent: (event: IndicatorEvent) => {
      if (event.type === 'sent' || event.type === 'renewed') counts[event.type]++;
      const mine = byId('mine');
      const news =
        event.type === 'stopped' && event.reason === 'sent' && hiddenBy !== undefined
          ? hiddenBy
          : indicatorNews(event, document.visibilityState === 'hidden');
      mine.textContent = `${news} · ${counts.sent} started, ${counts.renewed} renewed`;
      // The library's own words, for a developer who points at it.
      mine.title = `${event.type}${event.type === 'stopped' || event.type === 'dropped' ? ` (${event.reason})` : ''}`;
    },
  });

  sends.subscribe((text) => {
    textarea.value = '';
    textarea.style.height = '';
    post(view.outgoing(text));
  });
  // Pressing the button does not take the focus from the composer (nor close a phone's keyboard).
  byId('send').addEventListener('mousedown', (event) => event.preventDefault());
  /** Fits the composer to its lines, up to 140 px (then it scrolls). */
  const fit = () => {
    textarea.style.height = '';
    // Its height includes the borders (border-box), scrollHeight does not: without them the box would shrink at the
    // first key and fall short of its text, which then scrolls (a scroll bar, where they show, in a one-line box).
    const borders = textarea.offsetHeight - textarea.clientHeight;
    textarea.style.height = `${Math.min(textarea.scrollHeight + borders, 140)}px`;
  };
  textarea.addEventListener('input', fit);
  // A click on a message (to read or select it) moves the focus to the list, where the next key would type nothing:
  // a character goes to the composer, as in most chats. The focus moves before the key's default action, so the
  // browser types it there itself (an `input` event: typing, as any other key). Keys the list scrolls with (arrows,
  // Page Up/Down, Home/End, Space), Tab, shortcuts and an IME's keys (229) stay with the list. AltGr, which types
  // "@" or "€" on many European layouts, comes as Ctrl+Alt on Windows: with a character, that is typing, not a shortcut.
  // Paste (Ctrl+V, ⌘V: key code 86 whatever the layout) has nowhere to go in the list: it goes to the composer too.
  // A dead key (a Mac's Option+E, a European layout's ´ or ^: `Dead`, with an IME's 229 on a Mac) types nothing yet
  // but starts the accent the next key completes ("é"): the composer takes it, or the accent is lost in the list.
  byId('messages').addEventListener('keydown', (event) => {
    const printable = [...new Intl.Segmenter().segment(event.key)].length === 1 && event.key !== ' ';
    const altGr = event.getModifierState('AltGraph') || (event.ctrlKey && event.altKey);
    const shortcut = event.metaKey || ((event.ctrlKey || event.altKey) && !altGr);
    const composing = event.isComposing || event.keyCode === 229;
    const paste = (event.ctrlKey || event.metaKey) && !event.altKey && event.keyCode === 86;
    const dead = event.key === 'Dead';
    if ((printable && !shortcut && !composing) || paste || dead) textarea.focus();
  });
  // Option on a Mac types with Alt alone (Option+2 is "™", Option+A "å"), where Alt and a letter on Windows or Linux
  // is a shortcut (a menu's) that types nothing: the keydown looks the same, the `keypress` (only for a key that types)
  // tells them apart. The focus moves before its character is typed, so that goes to the composer too.
  byId('messages').addEventListener('keypress', (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey) textarea.focus();
  });
  // A draft wraps anew when the window narrows or widens (a phone turned): fitted again, not left cut until a key.
  window.addEventListener('resize', fit);

  const offline = byId('offline');
  const connection = byId('connection');
  /**
   * What the page says about its connection to a screen reader only (`#news`, a status region): the connection line in
   * the panel shows it. Not the announcer of new messages, which keeps their last few: a burst of them caught up
   * after a reconnect would push "Connected again" out before it was read.
   */
  const news = byId('news');
  /**
   * Whether the page lost the stream. A screen reader heard so (`offline` is a status region); emptied when it is back,
   * that region says nothing, so `news` says it.
   */
  let lost = false;
  /**
   * The chat's history after a gap, back to the newest message shown, read as a Bitrix24 app reads it. Straight
   * through the transport, without reseeding on `NO_AUTH_FOUND`: an emulator that no longer knows the token started
   * over, and its history is not this chat's of before (the stream says so next). Bounded in time as her messages are:
   * the stream waits for it.
   */
  const history = () => withTimeout(HISTORY_TIMEOUT_MS, loadHistory(rest, config.dialogId, view.newest()));
  emulatorFeed(config.emulatorUrl, state.epoch, config.watchMs, history).subscribe((event) => {
    if (event.kind === 'snapshot' || event.kind === 'resumed') {
      // A new emulator process knows none of the tokens the old one issued (nor, after a reset, does the old one),
      // and its message numbers start over: the page's sent messages of before must not be taken for new ones.
      if (event.kind === 'snapshot' && event.startedOver) {
        view.startedOver();
        portalHid(STARTED_OVER);
        reseed();
      }
      // Back where it left off (only what came since), or rebuilt from the whole timeline.
      const missing = event.kind === 'resumed' ? view.resume(event.entries, event.gap, event.history) : undefined;
      if (event.kind === 'snapshot') view.load(event.entries);
      // A gap is said here too, in the words the list marks it with (what the chat's history could fill in). In the
      // same task as what `load`/`resume` read out: no frame between them, so the order of the two regions is moot.
      if (lost || missing) say(news, `Connected to the emulator again.${missing ? ` ${missing}` : ''}`);
      lost = false;
      offline.textContent = '';
      connection.dataset.state = 'live';
      connection.textContent = `Live from ${config.emulatorUrl}`;
      document.body.dataset.ready = 'true';
    } else if (event.kind === 'disconnected') {
      lost = true;
      news.textContent = ''; // so that "Connected again" is news again next time
      view.disconnected();
      say(
        offline,
        'Lost the connection to the emulator. New messages and who is typing show again once it is back; reconnecting…',
      );
      connection.dataset.state = 'down';
      connection.textContent = `Reconnecting to ${config.emulatorUrl} (next try in ${event.retryInMs / 1000} s)`;
    } else {
      if (event.kind === 'reset') {
        reseed();
        portalHid(STARTED_OVER);
      }
      view.apply(event);
    }
  });
  interval(250).subscribe(() => view.tick());
  textarea.disabled = false;
  byId<HTMLButtonElement>('send').disabled = false;
  textarea.focus();
}

/**
 * How long a message may wait for the portal's answer before it shows as "Not sent" (with Retry) and the next one goes
 * out. `im.message.add` answers within a second when all is well; a hung request should not keep everything she writes
 * after it at "Sending…" for the transport's 15 s. The call goes on (see `post`): should the portal store it after all,
 * its answer or its echo is taken for it, and it is not shown twice.
 */
const SEND_TIMEOUT_MS = 5_000;

/**
 * How long a reconnect after a gap waits for the chat's history (a few calls that answer within a second when all is
 * well) before it goes on without it: the stream opens only after it.
 */
const HISTORY_TIMEOUT_MS = 10_000;

/**
 * How long her message waits for a typing call of hers still on its way (see `keepSentCalls`). Such a call answers
 * within a second when all is well; a hung one should not hold her message at "Sending…" for the transport's 15 s.
 */
const WRITING_SETTLE_MS = 3_000;

/** The panel's line when the emulator started over while she was shown typing: it forgot her indicator. */
const STARTED_OVER = 'Gone: the emulator started over; your next key shows it again';

/**
 * `NO_AUTH_FOUND`: the emulator does not know the token at all, so it started over (a reset, a restart) and the
 * page has not heard yet (its event stream is cut, say). No refresh helps (the refresh token is gone too): take the
 * seed's tokens again and try once more. A second refusal, or a failed re-read, is the call's error ("Not sent").
 */
function reseedOnNoAuth(transport: Transport, reseed: () => Promise<void>): Transport {
  const once = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      if (!isB24Error(error) || error.code !== 'NO_AUTH_FOUND') throw error;
      try {
        await reseed();
      } catch {
        throw error;
      }
      return send();
    }
  };
  return {
    call: (method, params, options) => once(() => transport.call(method, params, options)),
    // Typing calls go out batched when the transport can batch (the fetch transport can): keep that.
    ...(transport.batch && { batch: (calls, options) => once(() => transport.batch!(calls, options)) }),
  };
}

/**
 * What the person's own indicator just did, in words (the panel's title has the library's event). `hidden`: the page
 * is hidden now; bindTyping stops renewing then with a `sent` stop, though no message of hers hid it.
 */
function indicatorNews(event: IndicatorEvent, hidden: boolean): string {
  switch (event.type) {
    case 'sent':
      return 'Shown: the others see you typing';
    case 'renewed':
      return 'Still shown: renewed while you type';
    case 'failed':
      return `Could not show it: ${whyNotSent(event.error)}`;
    case 'dropped':
      // Given up after failed tries (spent, or its time passed meanwhile): the last error says why, a busy portal (a rate
      // limit) not being one out of reach. One replaced by a newer call, or dropped as she stopped, says what did it.
      if (event.error && (event.reason === 'retries' || event.reason === 'deadline')) {
        return `Gave up: ${whyNotSent(event.error)}`;
      }
      switch (event.reason) {
        case 'deadline':
          return 'Skipped a renewal that came too late';
        case 'merged':
          return 'Skipped a call: a newer one replaces it';
        case 'retries':
          return 'Gave up: the portal could not be reached';
        case 'stopped':
          return 'Skipped a call: you had stopped';
        default:
          return 'Off';
      }
    case 'stopped':
      switch (event.reason) {
        case 'idle':
          return 'Not renewed: you paused, so it fades out';
        case 'sent':
          return hidden ? 'Not renewed while the page is hidden, so it fades out' : 'Hidden by your message';
        case 'failed':
          return 'Off: the portal refused it';
        default:
          return 'Off';
      }
  }
}

/**
 * Whether a failed call may have been carried out all the same: no answer said it was not (the connection broke, the
 * time ran out, the reply could not be read). A portal's error answer means it was not.
 */
function answerLost(error: unknown): boolean {
  if (!isB24Error(error)) return true;
  return error.kind === 'network' || error.kind === 'timeout' || error.code === 'ERROR_UNEXPECTED_ANSWER';
}

/** The error's code, for a developer (a title attribute): the words on the page never show it. */
function errorCode(error: unknown): string | undefined {
  return isB24Error(error) ? error.code : undefined;
}

/** Why a message did not go out, in words for the person who wrote it: no error codes (`errorCode` has those). */
function whyNotSent(error: unknown): string {
  if (!isB24Error(error)) return error instanceof Error ? error.message : String(error);
  // A long paste (a log, say) the server will not take in one request: "refused" alone would have her press Retry,
  // which is refused the same way every time.
  if (error.status === 413) return 'it is too long for the portal; shorten it or send it in parts';
  // `im.message.add` answers a chat she is not in, or one that does not exist, with PARAMS_ERROR "Message isn't added"
  // (the send refuses it; no ACCESS_ERROR on that path). Its other PARAMS_ERROR, no recipient at all, cannot come from
  // this page, which always names the chat. "Refused" alone would have her press Retry, refused the same way each time.
  if (error.code === 'PARAMS_ERROR') return 'you are not in this chat, or it no longer exists';
  switch (error.kind) {
    case 'network':
      return 'no connection to the portal';
    case 'timeout':
      return 'the portal did not answer in time';
    case 'rate':
    case 'operating':
      return 'the portal is busy, try again in a moment';
    case 'auth':
      return 'the portal did not accept the sign-in';
    case 'access':
      return 'you may not write in this chat';
    case 'input':
      return 'the portal refused it';
    case 'server':
      return 'the server had a problem';
  }
}

// A wrong setting (a `B24InputError` from `readSettings`) or anything else that stops the page: said in the banner,
// and the panel no longer says it is connecting, which it would go on saying while nothing happens.
start().catch((error: unknown) => {
  byId('offline').textContent = `Could not start: ${error instanceof Error ? error.message : String(error)}`;
  const connection = byId('connection');
  connection.dataset.state = 'down';
  connection.textContent = 'Not connected: the page did not start';
  byId('live-empty').textContent = 'Not known: the page did not start.';
  console.error(error);
});
