import { tool } from 'ai';
import { z } from 'zod';
import { sleep } from './sleep';

/** A small local corpus, so the demo's "search" is real work over real text without any network. */
const ARTICLES = [
  {
    title: 'Bot statuses in Bitrix24',
    text: 'A bot shows "Agent is thinking…", "searching…" or "composing…" with imbot.v2.Chat.InputAction.notify; the status lasts its duration (1–600 s) or until the bot posts a message.',
  },
  {
    title: 'User typing',
    text: 'A chat client calls im.dialog.writing on the first keystroke and renews it every ~22 s while the person types; the web client shows it for 25 s.',
  },
  {
    title: 'Rate limits',
    text: 'A portal allows 2 requests per second with a burst of 50; a batch of up to 50 calls counts as one request, so batching lets one portal keep ~2,500 indicators alive.',
  },
  {
    title: 'Replies',
    text: 'A bot replies with imbot.v2.Chat.Message.send to the dialogId of the event; the message hides the bot status at once.',
  },
  {
    title: 'Weather in the demo',
    text: 'The local demo model has no weather feed: it answers from this small corpus, which is enough to watch the statuses change.',
  },
];

export interface SearchHit {
  title: string;
  text: string;
}

/** Ranks the corpus by how many query words each article contains; ties keep corpus order. */
export function searchArticles(query: string, limit = 2): SearchHit[] {
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 2);
  return ARTICLES.map((a, i) => {
    const hay = `${a.title} ${a.text}`.toLowerCase();
    return { a, i, score: words.filter((w) => hay.includes(w)).length };
  })
    .sort((x, y) => y.score - x.score || x.i - y.i)
    .slice(0, limit)
    .map(({ a }) => ({ title: a.title, text: a.text }));
}

/**
 * `webSearch`, the demo's tool. Its name routes it to "searching" by the default rules of statusFromStream;
 * `latencyMs` stands in for a real search backend's round trip so the status is visible.
 */
export function createSearchTool(options: { latencyMs?: number } = {}) {
  const latencyMs = options.latencyMs ?? 1500;
  return tool({
    description: 'Search the Bitrix24 typing-indicator knowledge base',
    inputSchema: z.object({ query: z.string().min(1) }),
    execute: async ({ query }, { abortSignal }) => {
      await sleep(latencyMs, abortSignal);
      return { hits: searchArticles(query) };
    },
  });
}
