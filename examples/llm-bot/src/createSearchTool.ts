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

/**
 * Words that tell nothing of the topic: counted, they rank articles by grammar (every question has a "how" or a
 * "does"), not by what was asked.
 */
const STOP_WORDS = new Set(
  (
    "the and for are was were has have had not but with this that these those from into about its it's you your can " +
    'could would should will does did how what which who whom why when where there here then than also any all some ' +
    'get got work works please tell know'
  ).split(' '),
);

/** A text's words, lower case: letters and digits, at least three. */
const wordsOf = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 2);

/**
 * A word's folded form, so that obvious variants meet: plurals and verb forms ("limits", "batches", "replies",
 * "renewed", "batching" → "limit", "batch", "reply", "renew", "batch"), then a final silent "e" ("typing" and "type"
 * both → "typ"). Suffixes only, and only when three letters stay: "port" never meets "portal", "its" stays "its".
 * Deliberately small (no stemmer library for a corpus of five articles): it can also fold two words together
 * ("rate" and "rat"), which is why a folded match counts less than the word itself (`searchArticles`).
 */
export function foldWord(word: string): string {
  const cut = (suffix: string, replacement = '') =>
    word.length - suffix.length >= 3 && word.endsWith(suffix) ? word.slice(0, -suffix.length) + replacement : undefined;
  let w =
    cut('ies', 'y') ??
    (/(?:s|x|z|ch|sh)es$/.test(word) ? cut('es') : undefined) ??
    (/[^siu]s$/.test(word) ? cut('s') : undefined) ??
    cut('ing') ??
    cut('ed') ??
    word;
  // "stopped", "running": the consonant doubled before the suffix (not "ll", "ss": "called", "passing")
  if (w !== word && /([^aeiouls])\1$/.test(w)) w = w.slice(0, -1);
  return w.length > 3 && w.endsWith('e') ? w.slice(0, -1) : w;
}

/** What a query word scores in an article that has it as it is, and as a variant only (`foldWord`). */
const EXACT = 3;
const FOLDED = 1;

/**
 * Ranks the corpus by the query words each article contains: as whole words ("how" is not in "shows"), or as a variant
 * (`foldWord`: "limit" finds "limits"), which scores a third as much. Ties keep corpus order. Stop words do not count,
 * nor the bot's mention: the portal's `[USER=12]LLM Bot[/USER]`, or `@` and one of `mentions` (the bot's name) as a
 * group chat asks for it. Once any article matches, the hits are those scoring at least half the best: a variant
 * alone ("indicator" ~ "indicators") does not ride along with an article that has the words themselves. When none
 * matches, the first `limit` articles still answer.
 */
export function searchArticles(query: string, limit = 2, mentions: readonly string[] = []): SearchHit[] {
  let text = query.replace(/\[USER=\d+\][^[]*\[\/USER\]/gi, ' ').toLowerCase();
  for (const name of mentions) if (name) text = text.split(`@${name.toLowerCase()}`).join(' ');
  const words = [...new Set(wordsOf(text).filter((w) => !STOP_WORDS.has(w)))];
  const ranked = ARTICLES.map((a, i) => {
    const hay = new Set(wordsOf(`${a.title} ${a.text}`));
    const folded = new Set([...hay].map(foldWord));
    const score = words.reduce((sum, w) => sum + (hay.has(w) ? EXACT : folded.has(foldWord(w)) ? FOLDED : 0), 0);
    return { a, i, score };
  }).sort((x, y) => y.score - x.score || x.i - y.i);
  const best = ranked[0]?.score ?? 0;
  const matching = ranked.filter((r) => r.score > 0 && r.score * 2 >= best);
  return (matching.length ? matching : ranked).slice(0, limit).map(({ a }) => ({ title: a.title, text: a.text }));
}

/**
 * `webSearch`, the demo's tool. Its name routes it to "searching" by the default rules of statusFromStream;
 * `latencyMs` stands in for a real search backend's round trip so the status is visible. `mentions`: the bot's own
 * name, whose `@` mention a group chat's question starts with (the local model searches with the user's words).
 */
export function createSearchTool(options: { latencyMs?: number; mentions?: readonly string[] } = {}) {
  const latencyMs = options.latencyMs ?? 1500;
  const mentions = options.mentions ?? [];
  return tool({
    description: 'Search the Bitrix24 typing-indicator knowledge base',
    inputSchema: z.object({ query: z.string().min(1) }),
    execute: async ({ query }, { abortSignal }) => {
      await sleep(latencyMs, abortSignal);
      return { hits: searchArticles(query, 2, mentions) };
    },
  });
}
