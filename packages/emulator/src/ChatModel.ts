import type { Button } from './checkKeyboard';
import { phpTrim } from './paramValues';
import { isoSeconds } from './timeBlock';
import type { Timeline } from './Timeline';
import type { IndicatorState, SeedInput, SeedResult } from './types';

export interface User {
  id: number;
  name: string;
  lastName: string;
  workPosition: string;
  botId: number | null;
}

export interface Chat {
  id: number;
  title: string;
  type: 'chat' | 'private';
  members: Set<number>;
  workgroupId: number | null;
  ownerId: number;
}

export interface BotEvent {
  eventId: number;
  type: string;
  date: string;
  data: Record<string, unknown>;
}

export interface Bot {
  id: number;
  code: string;
  /** Owner identity: OAuth client id, or `'custom' + botToken` for webhook auth (reference §1.2). */
  appId: string;
  botToken: string | null;
  clientId: string | null;
  type: string;
  eventMode: 'fetch' | 'webhook';
  webhookUrl: string | null;
  applicationToken: string;
  isHidden: boolean;
  isReactionsEnabled: boolean;
  isSupportOpenline: boolean;
  backgroundId: string | null;
  events: BotEvent[];
  nextEventId: number;
  countMessage: number;
  /**
   * Registered through the legacy `imbot.register` (v1): it hears users in v1 format only (`ONIMBOTMESSAGEADD` …, POSTed
   * to its app's handlers, `legacyHandlers`), never the ONIMBOTV2 events ("A v1 bot gets events only in v1 format",
   * reference §4.4).
   */
  legacy: boolean;
}

/** The v1 events a legacy bot's app binds handlers for (`imbot.register`'s `EVENT_*` parameters). */
export type LegacyEventType =
  | 'ONIMBOTMESSAGEADD'
  | 'ONIMBOTMESSAGEUPDATE'
  | 'ONIMBOTMESSAGEDELETE'
  | 'ONIMBOTJOINCHAT'
  | 'ONIMBOTDELETE';

/** A bound v1 event handler: the URL as bound and the binding's id (`event_handler_id` in each POST). */
export interface LegacyHandler {
  url: string;
  id: number;
}

/** Which v1 event a v2 message event is to a legacy bot. */
const LEGACY_MESSAGE_EVENTS = {
  ONIMBOTV2MESSAGEADD: 'ONIMBOTMESSAGEADD',
  ONIMBOTV2MESSAGEUPDATE: 'ONIMBOTMESSAGEUPDATE',
  ONIMBOTV2MESSAGEDELETE: 'ONIMBOTMESSAGEDELETE',
} as const satisfies Record<string, LegacyEventType>;

/** Bot types that hear a group chat only when mentioned: v2 `bot`/`openline` (reference §4.2), v1 `B`/`O`/`H`. */
const MENTION_ONLY_TYPES = new Set(['bot', 'openline', 'human']);

export interface Message {
  id: number;
  chatId: number;
  authorId: number;
  text: string;
  date: number;
  edited: boolean;
  /** Soft-deleted: the text is DELETED_MESSAGE_TEXT now, and the message stays in the history. */
  deleted: boolean;
  /** The KEYBOARD param: the buttons checkKeyboard made, or none. A soft delete resets it (`KEYBOARD => 'N'`). */
  keyboard?: readonly Button[] | null;
  /** The MENU param: the items checkMenu made, or none. */
  menu?: readonly Button[] | null;
}

/** The params a new message carries besides its text. */
export interface MessageParts {
  keyboard?: readonly Button[] | null;
  menu?: readonly Button[] | null;
}

/**
 * The text a soft delete leaves (`SoftDeletionStrategy`: `setMessage(Loc::getMessage('IM_MESSAGE_DELETED'))`,
 * yuliai/bitrix-modules@1e97fbba im/lib/V2/Message/Delete/Strategy). That copy has no lang files; the EN text is
 * the one `IM_MESSAGE_DELETED` has in avshatalov48/bitrix-core-business@10714f08
 * modules/im/lang/en/classes/general/im_messenger.php.
 */
export const DELETED_MESSAGE_TEXT = 'This message has been deleted.';

export interface Indicator {
  chatId: number;
  senderId: number;
  dialogId: string;
  statusMessageCode: string | null;
  since: number;
  visibleUntil: number;
}

/** EN display texts of the documented agent status codes (reference §2). */
export const STATUS_TEXTS: Readonly<Record<string, string>> = {
  IMBOT_AGENT_ACTION_THINKING: 'Agent is thinking...',
  IMBOT_AGENT_ACTION_SEARCHING: 'Agent is searching for information...',
  IMBOT_AGENT_ACTION_GENERATING: 'Agent is preparing a response...',
  IMBOT_AGENT_ACTION_ANALYZING: 'Agent is analyzing the request...',
  IMBOT_AGENT_ACTION_PROCESSING: 'Agent is processing data...',
  IMBOT_AGENT_ACTION_TRANSLATING: 'Agent is translating text...',
  IMBOT_AGENT_ACTION_CONNECTING: 'Agent is connecting to the service...',
  IMBOT_AGENT_ACTION_CHECKING: 'Agent is checking data...',
  IMBOT_AGENT_ACTION_CALCULATING: 'Agent is calculating...',
  IMBOT_AGENT_ACTION_READING_DOCS: 'Agent is reviewing documents...',
  IMBOT_AGENT_ACTION_COMPOSING: 'Agent is composing a response...',
};

/**
 * The `#DATE#` of a deletion notice (`FormatDate("FULL", DATE_CREATE)` in `CIMMessenger::Delete`), as
 * on-imbot-message-delete.md's sample prints it: `26.02.2026 09:27:30`, on the model's clock (UTC).
 */
function noticeDate(ms: number): string {
  const [date, time] = new Date(ms).toISOString().slice(0, 19).split('T') as [string, string];
  const [year, month, day] = date.split('-');
  return `${day}.${month}.${year} ${time}`;
}

export type EventSink = (bot: Bot, event: BotEvent) => void;

/**
 * Users, chats, bots, messages and indicator state of one portal. Every mutation that a client could observe is
 * also written to the timeline, at the model's clock.
 */
export class ChatModel {
  readonly users = new Map<number, User>();
  readonly chats = new Map<number, Chat>();
  readonly bots = new Map<number, Bot>();
  /**
   * Unregistered fetch-mode bots whose `ONIMBOTV2DELETE` no `Event.get` has returned yet: reachable by `Event.get`
   * only, so the bot can still read its last event; every other method already answers `BOT_NOT_FOUND`.
   */
  readonly retiredBots = new Map<number, Bot>();
  /**
   * The v1 event handlers per app (`Bot.appId`), as `imbot.register` binds them: per application, not per bot ("one
   * application uses one set of handler URLs", imbot-register.md), so a later registration rebinds them for every
   * legacy bot of the app; unregistering a bot leaves them bound (the module source's "sticky subscriptions").
   */
  readonly legacyHandlers = new Map<string, Partial<Record<LegacyEventType, LegacyHandler>>>();
  private nextHandlerId = 1;
  /** Every message, in id order (ids are 1, 2, 3 …: `messages[id - 1]`). Kept for good, as a portal keeps them. */
  readonly messages: Message[] = [];
  /** The same messages per chat, so per-chat reads (the live page's state) do not scan them all. */
  private readonly byChat = new Map<number, Message[]>();
  readonly indicators = new Map<string, Indicator>();
  /** `min|max` user ids → private chat id, so resolving `<userId>` dialogs stays O(1) with many dialogs. */
  private readonly privateChats = new Map<string, number>();
  private earliest = Number.POSITIVE_INFINITY;
  private nextUserId = 1;
  private nextChatId = 1;
  private nextMessageId = 1;

  constructor(
    private readonly timeline: Timeline,
    private readonly now: () => number,
    private readonly makeToken: (prefix: string) => string,
    private readonly onEvent: EventSink,
    /** Called when chats or their members change over REST (`im.chat.add`, `im.chat.user.add`): fixture lists follow. */
    private readonly onChatsChanged: () => void = () => {},
  ) {}

  // ---- seeding ----

  /** The ids the next user and chat without an id would get. */
  nextIds(): { user: number; chat: number } {
    return { user: this.nextUserId, chat: this.nextChatId };
  }

  addUser(input: { id?: number; name: string; lastName?: string; workPosition?: string; botId?: number }): User {
    const id = input.id ?? this.nextUserId;
    const user: User = {
      id,
      name: input.name,
      lastName: input.lastName ?? '',
      workPosition: input.workPosition ?? '',
      botId: input.botId ?? null,
    };
    this.users.set(id, user);
    this.nextUserId = Math.max(this.nextUserId, id + 1);
    return user;
  }

  addChat(input: { id?: number; title: string; members?: readonly number[]; workgroupId?: number }): Chat {
    const id = input.id ?? this.nextChatId;
    const members = input.members ?? [];
    const chat: Chat = {
      id,
      title: input.title,
      type: 'chat',
      members: new Set(members),
      workgroupId: input.workgroupId ?? null,
      ownerId: members[0] ?? 1,
    };
    this.chats.set(id, chat);
    this.nextChatId = Math.max(this.nextChatId, id + 1);
    return chat;
  }

  addBot(input: {
    id?: number;
    code: string;
    name: string;
    lastName?: string;
    workPosition?: string;
    botToken?: string | null;
    clientId?: string | null;
    type?: string;
    eventMode?: 'fetch' | 'webhook';
    webhookUrl?: string | null;
    isHidden?: boolean;
    isReactionsEnabled?: boolean;
    isSupportOpenline?: boolean;
    backgroundId?: string | null;
    chats?: readonly number[];
    applicationToken?: string;
    legacy?: boolean;
  }): Bot {
    const user = this.addUser({
      ...(input.id !== undefined ? { id: input.id } : {}),
      name: input.name,
      ...(input.lastName !== undefined ? { lastName: input.lastName } : {}),
      ...(input.workPosition !== undefined ? { workPosition: input.workPosition } : {}),
    });
    const botToken = input.botToken ?? null;
    const clientId = input.clientId ?? null;
    const bot: Bot = {
      id: user.id,
      code: input.code,
      appId: clientId ?? `custom${botToken ?? ''}`,
      botToken,
      clientId,
      type: input.type ?? 'bot',
      eventMode: input.eventMode ?? 'fetch',
      webhookUrl: input.webhookUrl ?? null,
      applicationToken: input.applicationToken ?? this.makeToken('apptoken'),
      isHidden: input.isHidden ?? false,
      isReactionsEnabled: input.isReactionsEnabled ?? true,
      isSupportOpenline: input.isSupportOpenline ?? false,
      backgroundId: input.backgroundId ?? null,
      events: [],
      nextEventId: 1,
      countMessage: 0,
      legacy: input.legacy ?? false,
    };
    user.botId = bot.id;
    this.bots.set(bot.id, bot);
    for (const chatId of input.chats ?? []) this.chats.get(chatId)?.members.add(bot.id);
    return bot;
  }

  seed(input: SeedInput): SeedResult {
    const result: SeedResult = { users: [], chats: [], bots: [] };
    for (const user of input.users ?? []) result.users.push(this.addUser(user).id);
    for (const chat of input.chats ?? []) result.chats.push(this.addChat(chat).id);
    for (const bot of input.bots ?? []) result.bots.push(this.addBot(bot).id);
    for (const [chatId, userId] of input.members ?? []) this.chats.get(chatId)?.members.add(userId);
    return result;
  }

  /** Binds an app's v1 event handlers (`imbot.register`): each event named replaces its binding, with a new id. */
  bindLegacyHandlers(appId: string, urls: Partial<Record<LegacyEventType, string>>): void {
    const bound = this.legacyHandlers.get(appId) ?? {};
    for (const [type, url] of Object.entries(urls) as [LegacyEventType, string][]) {
      bound[type] = { url, id: this.nextHandlerId++ };
    }
    this.legacyHandlers.set(appId, bound);
  }

  // ---- chats and members over REST ----

  /**
   * A group chat made by `addedBy`'s `im.chat.add`, owned by `ownerId`: they and `memberIds` (the known users, each
   * once) are its members. Each bot among them is told it joined, by `addedBy` (joinedBy), with the history open to it.
   */
  createChat(
    input: { title: string; ownerId: number; memberIds: readonly number[]; addedBy: number },
    now = this.now(),
  ): Chat {
    const chat: Chat = {
      id: this.nextChatId++,
      title: input.title,
      type: 'chat',
      members: new Set(),
      workgroupId: null,
      ownerId: input.ownerId,
    };
    this.chats.set(chat.id, chat);
    const members = [input.addedBy, input.ownerId, ...input.memberIds];
    if (this.addMembers(chat, members, input.addedBy, false, now).length === 0) this.onChatsChanged();
    return chat;
  }

  /**
   * Adds to a chat the known users of `userIds` who are not in it yet (in order, each once) and tells each bot among
   * them it joined (joinedBy). `hideHistory` is whether the chat's earlier history stays hidden from them (the v1
   * event's `ACCESS_HISTORY`). The ids added.
   */
  addMembers(
    chat: Chat,
    userIds: readonly number[],
    addedBy: number,
    hideHistory: boolean,
    now = this.now(),
  ): number[] {
    const added = userIds.filter(
      (id, index) => this.users.has(id) && !chat.members.has(id) && userIds.indexOf(id) === index,
    );
    if (added.length === 0) return added;
    for (const id of added) chat.members.add(id);
    this.onChatsChanged();
    for (const id of added) {
      const bot = this.bots.get(id);
      if (bot) this.joinedBy(chat, bot, addedBy, hideHistory, now);
    }
    return added;
  }

  /**
   * Takes a member out of a group chat (`im.chat.user.delete`, `im.chat.leave`). An owner who leaves hands the chat on
   * (`changeAuthor` in `GroupChat::deleteUser`, yuliai/bitrix-modules im/lib/V2/Chat.php): the model gives it to the
   * member who has been in it longest, as the source does not say whom it picks. No bot event: neither the v2 events
   * (reference §4.4, `ONIMBOTV2JOINCHAT` but no leave) nor the v1 ones document one for a removal (`ONIMBOTDELETE` is
   * for unregistering). An indicator the member was showing is left alone: what hides one is a message, an edit or its
   * timer (reference §3), a leave is not among them, so it lapses on its own. The "left the chat" system message is
   * not modelled (the model has no system messages).
   */
  removeMember(chat: Chat, userId: number): void {
    chat.members.delete(userId);
    if (chat.ownerId === userId) {
      const [next] = chat.members;
      if (next !== undefined) chat.ownerId = next;
    }
    this.onChatsChanged();
  }

  /**
   * A bot's join event, as a message event is delivered (notifyBots): v2 `ONIMBOTV2JOINCHAT` with the public event
   * page's data, `{bot, dialogId, chat, user, language}`, `user` being who added the bot (bitrix-tools/b24-rest-docs
   * api-reference/chat-bots/chat-bots-v2/imbot.v2/events/events.md#onimbotv2joinchat), queued in fetch mode; a
   * legacy bot's v1 `ONIMBOTJOINCHAT` to its app's handler (the `EVENT_WELCOME_MESSAGE` one) with legacyJoinData.
   * Every bot type hears it: the mention rule is for messages only.
   */
  private joinedBy(chat: Chat, bot: Bot, addedBy: number, hideHistory: boolean, at: number): void {
    if (bot.legacy) {
      this.onEvent(bot, {
        eventId: bot.nextEventId++,
        type: 'ONIMBOTJOINCHAT',
        date: isoSeconds(at),
        data: this.legacyJoinData(chat, bot, addedBy, hideHistory),
      });
      return;
    }
    const event: BotEvent = {
      eventId: bot.nextEventId++,
      type: 'ONIMBOTV2JOINCHAT',
      date: isoSeconds(at),
      data: {
        bot: this.botObject(bot),
        dialogId: this.dialogIdFor(chat, bot.id),
        chat: this.chatObject(chat, bot.id),
        user: this.userObject(addedBy),
        language: 'en',
      },
    };
    if (bot.eventMode === 'fetch') bot.events.push(event);
    this.onEvent(bot, event);
  }

  /**
   * `data` of a v1 `ONIMBOTJOINCHAT` to a group chat without its `BOT` part (legacyEventBody adds it): `PARAMS` and
   * `USER` with the fields of the event's page (bitrix-tools/b24-rest-docs api-reference/chat-bots/outdated/chats/
   * events/on-imbot-join-chat.md, "Group chat"): `CHAT_TYPE`/`MESSAGE_TYPE` `C`, `BOT_ID`, `USER_ID` (who added
   * it), `CHAT_ID`, `CHAT_AUTHOR_ID` (the owner), `CHAT_ENTITY_TYPE`, `CHAT_ENTITY_ID`, `ACCESS_HISTORY` (1, or 0
   * when the history is hidden from it), `DIALOG_ID`, `LANGUAGE`; `USER` is who added the bot.
   */
  legacyJoinData(chat: Chat, bot: Bot, addedBy: number, hideHistory: boolean): Record<string, unknown> {
    const user = this.users.get(addedBy);
    return {
      PARAMS: {
        CHAT_TYPE: 'C',
        MESSAGE_TYPE: 'C',
        BOT_ID: bot.id,
        USER_ID: addedBy,
        CHAT_ID: chat.id,
        CHAT_AUTHOR_ID: chat.ownerId,
        CHAT_ENTITY_TYPE: chat.workgroupId !== null ? 'SONET_GROUP' : '',
        CHAT_ENTITY_ID: chat.workgroupId ?? '',
        ACCESS_HISTORY: hideHistory ? 0 : 1,
        DIALOG_ID: this.dialogIdFor(chat, bot.id),
        LANGUAGE: 'en',
      },
      USER: user
        ? {
            ID: user.id,
            NAME: this.displayName(user.id),
            FIRST_NAME: user.name,
            LAST_NAME: user.lastName,
            WORK_POSITION: user.workPosition,
            GENDER: 'M',
          }
        : {},
    };
  }

  // ---- dialogs ----

  /** The private chat between two users, created on first use as the platform does (reference §1.1). */
  privateChat(a: number, b: number, create: boolean): Chat | null {
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    const existing = this.privateChats.get(key);
    if (existing !== undefined) return this.chats.get(existing) ?? null;
    if (!create || a === b || !this.users.has(a) || !this.users.has(b)) return null;
    const chat: Chat = {
      id: this.nextChatId++,
      title: '',
      type: 'private',
      members: new Set([a, b]),
      workgroupId: null,
      ownerId: a,
    };
    this.chats.set(chat.id, chat);
    this.privateChats.set(key, chat.id);
    return chat;
  }

  /** Resolve a dialog id from `senderId`'s point of view: `chat<N>`, `<userId>`, and with `allowSg` `sg<N>`. */
  resolveDialog(dialogId: string, senderId: number, options: { allowSg: boolean; create: boolean }): Chat | null {
    let match = /^chat(\d+)$/i.exec(dialogId);
    if (match) return this.chats.get(Number(match[1])) ?? null;
    match = /^sg(\d+)$/i.exec(dialogId);
    if (match) {
      if (!options.allowSg) return null;
      const group = Number(match[1]);
      for (const chat of this.chats.values()) if (chat.workgroupId === group) return chat;
      return null;
    }
    if (/^\d+$/.test(dialogId)) return this.privateChat(senderId, Number(dialogId), options.create);
    return null;
  }

  /** The dialog id a member uses for a chat: `chat<N>` for group chats, the counterpart's id for private ones. */
  dialogIdFor(chat: Chat, viewerId: number): string {
    if (chat.type === 'private') {
      for (const member of chat.members) if (member !== viewerId) return String(member);
    }
    return `chat${chat.id}`;
  }

  displayName(userId: number): string {
    const user = this.users.get(userId);
    if (!user) return `User ${userId}`;
    return user.lastName ? `${user.name} ${user.lastName}` : user.name;
  }

  // ---- indicators ----

  /** Materialise every indicator whose time ran out up to `now` as an `expired` hide, in expiry order. */
  sweep(now = this.now()): void {
    // `earliest` is a lower bound of every visibleUntil: most calls skip the scan entirely.
    if (now < this.earliest) return;
    this.earliest = Number.POSITIVE_INFINITY;
    for (const i of this.indicators.values())
      if (i.visibleUntil > now) this.earliest = Math.min(this.earliest, i.visibleUntil);
    const due = [...this.indicators.values()].filter((i) => i.visibleUntil <= now);
    due.sort((a, b) => a.visibleUntil - b.visibleUntil);
    for (const indicator of due) {
      this.indicators.delete(`${indicator.chatId}|${indicator.senderId}`);
      this.timeline.push({
        kind: 'hide',
        time: indicator.visibleUntil,
        chatId: indicator.chatId,
        dialogId: indicator.dialogId,
        senderId: indicator.senderId,
        cause: 'expired',
      });
    }
  }

  nextExpiry(): number | null {
    let next: number | null = null;
    for (const indicator of this.indicators.values()) {
      if (next === null || indicator.visibleUntil < next) next = indicator.visibleUntil;
    }
    return next;
  }

  /**
   * Start (or restart, replacing) the indicator of `senderId` in `chat` for `lifetimeMs`. `now` is the request's
   * time, so the call's timeline entry and its `visibleUntil` come from one clock reading.
   */
  show(
    chat: Chat,
    senderId: number,
    statusMessageCode: string | null,
    lifetimeMs: number,
    now = this.now(),
  ): Indicator {
    this.sweep(now);
    const key = `${chat.id}|${senderId}`;
    const dialogId = this.dialogIdFor(chat, senderId);
    if (this.indicators.has(key)) {
      this.timeline.push({ kind: 'hide', time: now, chatId: chat.id, dialogId, senderId, cause: 'replaced' });
    }
    const indicator: Indicator = {
      chatId: chat.id,
      senderId,
      dialogId,
      statusMessageCode,
      since: now,
      visibleUntil: now + lifetimeMs,
    };
    this.indicators.set(key, indicator);
    this.earliest = Math.min(this.earliest, indicator.visibleUntil);
    return indicator;
  }

  hide(chatId: number, senderId: number, cause: 'message' | 'edit', now = this.now()): void {
    this.sweep(now);
    const key = `${chatId}|${senderId}`;
    const indicator = this.indicators.get(key);
    if (!indicator) return;
    this.indicators.delete(key);
    this.timeline.push({ kind: 'hide', time: now, chatId, dialogId: indicator.dialogId, senderId, cause });
  }

  indicatorStates(): IndicatorState[] {
    this.sweep();
    return [...this.indicators.values()].map((i) => ({
      chatId: i.chatId,
      dialogId: i.dialogId,
      senderId: i.senderId,
      senderName: this.displayName(i.senderId),
      statusMessageCode: i.statusMessageCode,
      text: i.statusMessageCode
        ? (STATUS_TEXTS[i.statusMessageCode] ?? `${this.displayName(i.senderId)} is typing...`)
        : `${this.displayName(i.senderId)} is typing...`,
      since: i.since,
      visibleUntil: i.visibleUntil,
    }));
  }

  // ---- messages ----

  addMessage(chat: Chat, authorId: number, text: string, now = this.now(), parts: MessageParts = {}): Message {
    this.hide(chat.id, authorId, 'message', now);
    const message: Message = {
      id: this.nextMessageId++,
      chatId: chat.id,
      authorId,
      text,
      date: now,
      edited: false,
      deleted: false,
      keyboard: parts.keyboard ?? null,
      menu: parts.menu ?? null,
    };
    this.messages.push(message);
    const inChat = this.byChat.get(chat.id);
    if (inChat) inChat.push(message);
    else this.byChat.set(chat.id, [message]);
    this.recordMessage(chat, message, now);
    const author = this.users.get(authorId);
    if (author?.botId == null) this.notifyBots(chat, message, 'ONIMBOTV2MESSAGEADD', message.date);
    else {
      const bot = this.bots.get(author.botId);
      if (bot) bot.countMessage++;
    }
    return message;
  }

  /** A message by id, in O(1). */
  message(id: number): Message | undefined {
    const message = Number.isInteger(id) ? this.messages[id - 1] : undefined;
    return message?.id === id ? message : undefined;
  }

  /** Every message of a chat, oldest first (id order). */
  chatMessages(chatId: number): readonly Message[] {
    return this.byChat.get(chatId) ?? [];
  }

  /** The newest `count` messages of a chat, oldest first. */
  recentMessages(chatId: number, count: number): Message[] {
    return this.byChat.get(chatId)?.slice(-count) ?? [];
  }

  editMessage(message: Message, text: string, now = this.now()): void {
    const chat = this.chats.get(message.chatId)!;
    this.hide(chat.id, message.authorId, 'edit', now);
    message.text = text;
    message.edited = true;
    this.recordMessage(chat, message, now);
    // §4.4 lists ONIMBOTV2MESSAGEUPDATE; the public event page gives it MESSAGEADD's data with the new text.
    if (this.users.get(message.authorId)?.botId == null) this.notifyBots(chat, message, 'ONIMBOTV2MESSAGEUPDATE', now);
  }

  /**
   * The soft delete `CIMMessenger::Delete` asks for (`DeletionMode::Soft`, yuliai/bitrix-modules@026c2eea
   * im_messenger.php): the message keeps its place and id, its text becomes the deleted text and its params only
   * `IS_DELETED` (`resetParams`), so the history still lists it. The timeline records it as a message entry marked
   * `deleted`, as an edit is one marked `edited`. Nothing hides an indicator: the reference (§3) names no delete among
   * what stops one. Bots that heard the message hear `ONIMBOTV2MESSAGEDELETE` (§4.4), addressed by the text it had.
   */
  deleteMessage(message: Message, now = this.now()): void {
    const chat = this.chats.get(message.chatId)!;
    const heard = message.text;
    message.text = DELETED_MESSAGE_TEXT;
    message.edited = false;
    message.deleted = true;
    message.keyboard = null;
    message.menu = null;
    this.recordMessage(chat, message, now);
    if (this.users.get(message.authorId)?.botId == null) {
      this.notifyBots(chat, message, 'ONIMBOTV2MESSAGEDELETE', now, heard);
    }
  }

  /** The timeline's entry for a message as it now is: posted, edited (`edited`) or deleted (`deleted`). */
  private recordMessage(chat: Chat, message: Message, now: number): void {
    this.timeline.push({
      kind: 'message',
      time: now,
      chatId: chat.id,
      dialogId: this.dialogIdFor(chat, message.authorId),
      authorId: message.authorId,
      messageId: message.id,
      text: message.text,
      edited: message.edited,
      deleted: message.deleted,
    });
  }

  // ---- bot events ----

  /**
   * Bots that should hear a message, new, edited or deleted (reference §4.2 bot types): 1:1 always, `bot`/`openline`
   * on mention (in `text`: the text as it is now, or as it was before a deletion), others always. `at` is the event's
   * date: the message's, or the change's. A deletion's data is the public event page's `{bot, messageId, chat, user,
   * language}` (`bitrix24/b24restdocs …/imbot.v2/events/events.md#onimbotv2messagedelete`): no message object.
   * A legacy (v1) bot hears the same messages as their v1 event instead (`ONIMBOTMESSAGEADD` …, legacyMessageData),
   * handed to the sink only: v1 events are pushed to handlers, never queued for `Event.get`.
   */
  private notifyBots(
    chat: Chat,
    message: Message,
    type: 'ONIMBOTV2MESSAGEADD' | 'ONIMBOTV2MESSAGEUPDATE' | 'ONIMBOTV2MESSAGEDELETE',
    at: number,
    text = message.text,
  ): void {
    for (const memberId of chat.members) {
      if (memberId === message.authorId) continue;
      const bot = this.bots.get(memberId);
      if (!bot) continue;
      if (chat.type === 'chat' && MENTION_ONLY_TYPES.has(bot.type)) {
        const name = this.users.get(bot.id)?.name ?? '';
        const mentioned =
          text.includes(`[USER=${bot.id}]`) || (name !== '' && text.toLowerCase().includes(`@${name.toLowerCase()}`));
        if (!mentioned) continue;
      }
      if (bot.legacy) {
        this.onEvent(bot, {
          eventId: bot.nextEventId++,
          type: LEGACY_MESSAGE_EVENTS[type],
          date: isoSeconds(at),
          data: this.legacyMessageData(chat, message, bot, LEGACY_MESSAGE_EVENTS[type], text),
        });
        continue;
      }
      const event: BotEvent = {
        eventId: bot.nextEventId++,
        type,
        date: isoSeconds(at),
        data: {
          bot: this.botObject(bot),
          ...(type === 'ONIMBOTV2MESSAGEDELETE' ? { messageId: message.id } : { message: this.messageObject(message) }),
          chat: this.chatObject(chat, bot.id),
          user: this.userObject(message.authorId),
          language: 'en',
        },
      };
      if (bot.eventMode === 'fetch') bot.events.push(event);
      this.onEvent(bot, event);
    }
  }

  /**
   * `imbot.v2.Bot.unregister`: the bot's last event is `ONIMBOTV2DELETE` with `{bot}` (reference §4.4), the bot
   * object as it was; then the bot is gone and leaves its group chats. Its messages and private dialogs stay, as
   * history does; an indicator it was showing lapses on its own timer (the reference names no hide on delete).
   */
  removeBot(bot: Bot, now = this.now()): void {
    // A legacy bot's is v1's `ONIMBOTDELETE` with the module source's data, `{BOT_ID, BOT_CODE}` (onBotDelete).
    const event: BotEvent = {
      eventId: bot.nextEventId++,
      type: bot.legacy ? 'ONIMBOTDELETE' : 'ONIMBOTV2DELETE',
      date: isoSeconds(now),
      data: bot.legacy ? { BOT_ID: bot.id, BOT_CODE: bot.code } : { bot: this.botObject(bot) },
    };
    this.bots.delete(bot.id);
    for (const chat of this.chats.values()) if (chat.type === 'chat') chat.members.delete(bot.id);
    if (bot.eventMode === 'fetch' && !bot.legacy) {
      bot.events.push(event);
      this.retiredBots.set(bot.id, bot);
    }
    this.onEvent(bot, event);
  }

  /**
   * `data` of a v1 message event without its `BOT` part (the deliverer adds the credentials): `PARAMS` and `USER` as
   * `CIMRestService::onBotMessageAdd` / `onBotMessageUpdate` / `onBotMessageDelete` send them (yuliai/bitrix-modules
   * im_rest.php: the fields `Bot::onMessage*` hands on, plus `MESSAGE_ID`, `CHAT_TYPE`, `LANGUAGE`, and `USER` only
   * for a `FROM_USER_ID`), each with the fields of its own page (bitrix-tools/b24-rest-docs …/outdated/messages/
   * events/on-imbot-message-add.md, on-imbot-message-update.md, on-imbot-message-delete.md). `DIALOG_ID` is the
   * dialog from the bot's side, the one to answer in. Only the documented fields the model has are sent (no
   * `TEMPLATE_ID`, `PUSH`, `PLATFORM_CONTEXT`, `CHAT_ENTITY_DATA_*`, …).
   *
   * An add carries the new message's fields. An edit or a deletion carries the message's row instead
   * (`CIMMessenger::Update` / `Delete` pass `$message`): its `ID`, `CHAT_ID`, `AUTHOR_ID`, `CHAT_AUTHOR_ID`,
   * `CHAT_ENTITY_*`, no `TO_CHAT_ID`, `SYSTEM` or `CHAT_TITLE`; `FROM_USER_ID` (and so `USER`) and `TO_USER_ID` (the
   * other party) only in a private dialog, as both pages' group-chat samples show. A deletion's `MESSAGE` is the
   * notice `IM_MESSAGE_DELETED_OUT` with the message's date (the EN text of avshatalov48/bitrix-core-business
   * modules/im/lang/en/classes/general/im_messenger.php; the date as the page's sample prints it), not the text.
   *
   * In a group chat an add or an edit (`Bot::onMessageAdd` / `onMessageUpdate`, im/lib/bot.php) has
   * `MESSAGE_ORIGINAL`, the text as written, `TO_USER_ID` the first `[USER=N]` mentioned (0 if none), and `MESSAGE`
   * the text without the `[USER=N]…[/USER]` mentions, trimmed; a deletion has neither (`onMessageDelete` does not
   * touch the text). `CHAT_USER_COUNT` (`Bot::addAdditionalParams`, called for an add and an edit only) is 2 in a
   * private dialog: so the add and update pages' private samples show it and the source sets it, though the add
   * page's table calls it absent in a private dialog (the table is the odd one out, so it is not followed).
   */
  legacyMessageData(
    chat: Chat,
    message: Message,
    bot: Bot,
    event: (typeof LEGACY_MESSAGE_EVENTS)[keyof typeof LEGACY_MESSAGE_EVENTS],
    text = message.text,
  ): Record<string, unknown> {
    const type = chat.type === 'private' ? 'P' : 'C';
    const entityType = chat.workgroupId !== null ? 'SONET_GROUP' : '';
    const mentions = [...text.matchAll(/\[USER=(\d+)(?: REPLACE)?\](.*?)\[\/USER\]/gi)].map((m) => m[1]!);
    const mentionFields = {
      MESSAGE: phpTrim(text.replace(/\[(USER)=\d+\].+?\[\/\1\],?/g, '')),
      MESSAGE_ORIGINAL: text,
      TO_USER_ID: mentions[0] ?? 0,
    };
    const userCount = type === 'P' ? 2 : chat.members.size;
    let params: Record<string, unknown>;
    if (event === 'ONIMBOTMESSAGEADD') {
      params = {
        MESSAGE: text,
        MESSAGE_TYPE: type,
        FROM_USER_ID: message.authorId,
        DIALOG_ID: this.dialogIdFor(chat, bot.id),
        TO_CHAT_ID: chat.id,
        AUTHOR_ID: message.authorId,
        SYSTEM: 'N',
        TO_USER_ID: bot.id,
        ...(type === 'C'
          ? {
              ...mentionFields,
              CHAT_ID: chat.id,
              CHAT_TITLE: chat.title,
              CHAT_AUTHOR_ID: chat.ownerId,
              CHAT_ENTITY_TYPE: entityType,
              MENTIONED_LIST: Object.fromEntries(mentions.map((id) => [id, id])),
            }
          : {}),
        CHAT_USER_COUNT: userCount,
      };
    } else {
      const isUpdate = event === 'ONIMBOTMESSAGEUPDATE';
      params = {
        ID: message.id,
        CHAT_ID: chat.id,
        AUTHOR_ID: message.authorId,
        MESSAGE: isUpdate ? text : `Message of ${noticeDate(message.date)} has been deleted.`,
        MESSAGE_TYPE: type,
        CHAT_AUTHOR_ID: chat.ownerId,
        ...(type === 'C' ? { CHAT_ENTITY_TYPE: entityType } : {}),
        CHAT_ENTITY_ID: chat.workgroupId ?? '',
        ...(type === 'P' ? { FROM_USER_ID: message.authorId, TO_USER_ID: bot.id } : {}),
        ...(isUpdate ? { CHAT_USER_COUNT: userCount } : {}),
        ...(isUpdate && type === 'C'
          ? { MENTIONED_LIST: Object.fromEntries(mentions.map((id) => [id, id])), ...mentionFields }
          : {}),
        DIALOG_ID: this.dialogIdFor(chat, bot.id),
      };
    }
    Object.assign(params, { MESSAGE_ID: message.id, CHAT_TYPE: type, LANGUAGE: 'en' });
    // No sender named, no author: im_rest.php's `USER` is then `[]`, which the form body leaves out altogether.
    if (params.FROM_USER_ID === undefined) return { PARAMS: params, USER: {} };
    const author = this.users.get(message.authorId);
    const user = author
      ? {
          ID: author.id,
          NAME: this.displayName(author.id),
          FIRST_NAME: author.name,
          LAST_NAME: author.lastName,
          WORK_POSITION: author.workPosition,
          GENDER: 'M',
          IS_BOT: author.botId != null ? 'Y' : 'N',
          IS_CONNECTOR: 'N',
          IS_NETWORK: 'N',
          IS_EXTRANET: 'N',
        }
      : {};
    return { PARAMS: params, USER: user };
  }

  botObject(bot: Bot): Record<string, unknown> {
    const chats = [...this.chats.values()].filter((c) => c.members.has(bot.id));
    return {
      id: bot.id,
      code: bot.code,
      type: bot.type,
      isHidden: bot.isHidden,
      isSupportOpenline: bot.isSupportOpenline,
      isReactionsEnabled: bot.isReactionsEnabled,
      backgroundId: bot.backgroundId,
      language: 'en',
      moduleId: 'rest',
      eventMode: bot.eventMode,
      countMessage: bot.countMessage,
      countCommand: 0,
      countChat: chats.filter((c) => c.type === 'chat').length,
      countUser: chats.filter((c) => c.type === 'private').length,
    };
  }

  userObject(userId: number): Record<string, unknown> {
    const user = this.users.get(userId);
    return {
      id: userId,
      active: true,
      name: this.displayName(userId),
      firstName: user?.name ?? '',
      lastName: user?.lastName ?? '',
      workPosition: user?.workPosition ?? '',
      color: '#1eb4aa',
      avatar: '',
      gender: 'M',
      extranet: false,
      bot: user?.botId != null,
      type: user?.botId != null ? 'bot' : 'user',
    };
  }

  messageObject(message: Message): Record<string, unknown> {
    return {
      id: message.id,
      chatId: message.chatId,
      authorId: message.authorId,
      date: isoSeconds(message.date),
      text: message.text,
      isSystem: false,
      uuid: null,
      forward: null,
      params: {},
      viewedByOthers: false,
    };
  }

  chatObject(chat: Chat, viewerId: number): Record<string, unknown> {
    return {
      id: chat.id,
      dialogId: this.dialogIdFor(chat, viewerId),
      type: chat.type === 'private' ? 'private' : 'chat',
      name: chat.type === 'private' ? this.displayName(Number(this.dialogIdFor(chat, viewerId))) : chat.title,
      entityType: chat.workgroupId !== null ? 'SONET_GROUP' : '',
      owner: chat.ownerId,
      avatar: '',
      color: '#ab7761',
    };
  }
}
