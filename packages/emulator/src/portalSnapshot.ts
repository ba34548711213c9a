import type { Portal } from './Portal';

/** What the live page needs: chats with members, visible indicators and recent messages. No secrets. */
export function portalSnapshot(portal: Portal): Record<string, unknown> {
  const { model } = portal;
  const indicators = model.indicatorStates();
  return {
    now: portal.now(),
    epoch: portal.epoch,
    users: [...model.users.values()].map((u) => ({ id: u.id, name: model.displayName(u.id), bot: u.botId !== null })),
    chats: [...model.chats.values()].map((chat) => ({
      id: chat.id,
      type: chat.type,
      dialogId: `chat${chat.id}`,
      title: chat.type === 'private' ? [...chat.members].map((id) => model.displayName(id)).join(' & ') : chat.title,
      members: [...chat.members],
      indicators: indicators.filter((i) => i.chatId === chat.id),
      messages: model.recentMessages(chat.id, 20).map((m) => ({
        id: m.id,
        authorId: m.authorId,
        author: model.displayName(m.authorId),
        text: m.text,
        date: m.date,
        edited: m.edited,
        deleted: m.deleted,
      })),
    })),
    bots: [...model.bots.values()].map((b) => ({
      id: b.id,
      code: b.code,
      name: model.displayName(b.id),
      eventMode: b.eventMode,
      queued: b.events.length,
    })),
    stats: portal.stats,
  };
}
