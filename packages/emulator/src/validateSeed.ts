import type { ChatModel } from './ChatModel';
import type { SeedInput } from './types';
import { checkScopes, fail, isPositiveInteger, isRecord, shown } from './validateOptions';

/** What a seed can collide with: the portal as it is now. */
export interface SeedTaken {
  model: ChatModel;
  webhookCodes: ReadonlySet<string>;
  appIds: ReadonlySet<string>;
}

const BOT_TYPES = new Set(['bot', 'supervisor', 'personal', 'openline']);
const EVENT_MODES = new Set(['fetch', 'webhook']);

/**
 * Checks a whole seed before any of it is applied, so a bad seed changes nothing. Ids, bot codes, webhook codes and
 * client ids already in use are refused (seeding them again would silently replace a user, a chat or a credential
 * someone holds); references (members, bot chats, a bot's app, a webhook's user) must exist or come in the same seed.
 * Messages name the field (`seed: bots[1].code …`) and never quote a secret, token or webhook code.
 */
export function validateSeed(input: SeedInput, taken: SeedTaken): void {
  const where = 'seed';
  if (!isRecord(input)) {
    fail(where, `input must be an object, got ${shown(input)}`);
  }
  const list = <T>(name: keyof SeedInput): readonly T[] => {
    const value = input[name];
    if (value === undefined) return [];
    if (!Array.isArray(value)) fail(where, `${name} must be an array, got ${shown(value)}`);
    value.forEach((item, i) => {
      if (name !== 'members' && !isRecord(item)) {
        fail(where, `${name}[${i}] must be an object, got ${shown(item)}`);
      }
    });
    return value as readonly T[];
  };
  const users = list<NonNullable<SeedInput['users']>[number]>('users');
  const chats = list<NonNullable<SeedInput['chats']>[number]>('chats');
  const bots = list<NonNullable<SeedInput['bots']>[number]>('bots');
  const webhooks = list<NonNullable<SeedInput['webhooks']>[number]>('webhooks');
  const apps = list<NonNullable<SeedInput['apps']>[number]>('apps');
  const members = list<readonly [number, number]>('members');
  const { model } = taken;

  const optionalString = (path: string, value: unknown, secret = false) => {
    if (value !== undefined && typeof value !== 'string') {
      fail(where, `${path} must be a string${secret ? '' : `, got ${shown(value)}`}`);
    }
  };
  const requiredString = (path: string, value: unknown, secret = false) => {
    if (!(typeof value === 'string' && value !== '')) {
      fail(where, `${path} must be a non-empty string${secret ? '' : `, got ${shown(value)}`}`);
    }
  };
  const scopes = (path: string, value: unknown) => checkScopes(where, path, value);

  // Users and bots share one id space (a bot is a user). Ids are simulated the way ChatModel assigns them (users,
  // then bots, each without an id taking the next free one), so references to either kind can be checked.
  const newUserIds = new Set<number>();
  let nextUser = model.nextIds().user;
  const claimUser = (path: string, id: unknown) => {
    if (id !== undefined && !isPositiveInteger(id)) fail(where, `${path} must be a positive integer, got ${shown(id)}`);
    const assigned = id ?? nextUser;
    if (model.users.has(assigned) || newUserIds.has(assigned)) {
      fail(where, `${path} ${assigned} is already taken by another user or bot`);
    }
    newUserIds.add(assigned);
    nextUser = Math.max(nextUser, assigned + 1);
  };
  users.forEach((user, i) => {
    claimUser(`users[${i}].id`, user.id);
    requiredString(`users[${i}].name`, user.name);
    optionalString(`users[${i}].lastName`, user.lastName);
    optionalString(`users[${i}].workPosition`, user.workPosition);
  });
  bots.forEach((bot, i) => {
    claimUser(`bots[${i}].id`, bot.id);
  });
  const userKnown = (id: unknown) => isPositiveInteger(id) && (model.users.has(id) || newUserIds.has(id));

  const newChatIds = new Set<number>();
  let nextChat = model.nextIds().chat;
  chats.forEach((chat, i) => {
    if (chat.id !== undefined && !isPositiveInteger(chat.id)) {
      fail(where, `chats[${i}].id must be a positive integer, got ${shown(chat.id)}`);
    }
    const assigned = chat.id ?? nextChat;
    if (model.chats.has(assigned) || newChatIds.has(assigned)) {
      fail(where, `chats[${i}].id ${assigned} is already taken by another chat`);
    }
    newChatIds.add(assigned);
    nextChat = Math.max(nextChat, assigned + 1);
    requiredString(`chats[${i}].title`, chat.title);
    if (chat.workgroupId !== undefined && !isPositiveInteger(chat.workgroupId)) {
      fail(where, `chats[${i}].workgroupId must be a positive integer, got ${shown(chat.workgroupId)}`);
    }
    if (chat.members !== undefined && !Array.isArray(chat.members)) {
      fail(where, `chats[${i}].members must be an array of user ids, got ${shown(chat.members)}`);
    }
    (chat.members ?? []).forEach((member, j) => {
      if (!userKnown(member)) fail(where, `chats[${i}].members[${j}]: no user ${shown(member)}`);
    });
  });
  const chatKnown = (id: unknown) => isPositiveInteger(id) && (model.chats.has(id) || newChatIds.has(id));

  const newAppIds = new Set<string>();
  apps.forEach((app, i) => {
    requiredString(`apps[${i}].clientId`, app.clientId);
    if (taken.appIds.has(app.clientId) || newAppIds.has(app.clientId)) {
      fail(where, `apps[${i}].clientId is already taken by another application`);
    }
    newAppIds.add(app.clientId);
    requiredString(`apps[${i}].clientSecret`, app.clientSecret, true);
    scopes(`apps[${i}].scopes`, app.scopes);
  });

  const newCodes = new Set<string>();
  webhooks.forEach((hook, i) => {
    if (!userKnown(hook.userId)) fail(where, `webhooks[${i}].userId: no user ${shown(hook.userId)}`);
    requiredString(`webhooks[${i}].code`, hook.code, true);
    if (!/^[^/\s]+$/.test(hook.code)) fail(where, `webhooks[${i}].code must not contain '/' or spaces`);
    if (taken.webhookCodes.has(hook.code) || newCodes.has(hook.code)) {
      fail(where, `webhooks[${i}].code is already taken by another webhook`);
    }
    newCodes.add(hook.code);
    scopes(`webhooks[${i}].scopes`, hook.scopes);
    optionalString(`webhooks[${i}].applicationToken`, hook.applicationToken, true);
  });

  const codes = new Set([...model.bots.values()].map((b) => b.code));
  bots.forEach((bot, i) => {
    const path = `bots[${i}]`;
    requiredString(`${path}.code`, bot.code);
    if (codes.has(bot.code)) fail(where, `${path}.code ${shown(bot.code)} is already taken by another bot`);
    codes.add(bot.code);
    requiredString(`${path}.name`, bot.name);
    optionalString(`${path}.botToken`, bot.botToken, true);
    if (bot.botToken === '') fail(where, `${path}.botToken must not be empty`);
    optionalString(`${path}.clientId`, bot.clientId);
    if (bot.botToken === undefined && bot.clientId === undefined) {
      fail(where, `${path} needs botToken (webhook identity) or clientId (owner application)`);
    }
    if (bot.clientId !== undefined && !taken.appIds.has(bot.clientId) && !newAppIds.has(bot.clientId)) {
      fail(where, `${path}.clientId: no application ${shown(bot.clientId)}`);
    }
    if (bot.type !== undefined && !BOT_TYPES.has(bot.type)) {
      fail(where, `${path}.type must be one of ${[...BOT_TYPES].join(', ')}, got ${shown(bot.type)}`);
    }
    if (bot.eventMode !== undefined && !EVENT_MODES.has(bot.eventMode)) {
      fail(where, `${path}.eventMode must be fetch or webhook, got ${shown(bot.eventMode)}`);
    }
    if (bot.webhookUrl !== undefined && !/^https?:\/\/\S+$/.test(String(bot.webhookUrl))) {
      fail(where, `${path}.webhookUrl must be an http(s) URL, got ${shown(bot.webhookUrl)}`);
    }
    if (bot.eventMode === 'webhook' && bot.webhookUrl === undefined) {
      fail(where, `${path}: eventMode 'webhook' needs webhookUrl`);
    }
    if (bot.chats !== undefined && !Array.isArray(bot.chats)) {
      fail(where, `${path}.chats must be an array of chat ids, got ${shown(bot.chats)}`);
    }
    (bot.chats ?? []).forEach((chatId, j) => {
      if (!chatKnown(chatId)) fail(where, `${path}.chats[${j}]: no chat ${shown(chatId)}`);
    });
    optionalString(`${path}.applicationToken`, bot.applicationToken, true);
  });

  members.forEach((pair, i) => {
    if (!(Array.isArray(pair) && pair.length === 2)) fail(where, `members[${i}] must be a [chatId, userId] pair`);
    if (!chatKnown(pair[0])) fail(where, `members[${i}]: no chat ${shown(pair[0])}`);
    if (!userKnown(pair[1])) fail(where, `members[${i}]: no user ${shown(pair[1])}`);
  });
}
