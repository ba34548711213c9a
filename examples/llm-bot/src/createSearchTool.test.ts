import { describe, expect, it } from 'vitest';
import { searchArticles } from './createSearchTool';

describe('searchArticles (the local webSearch tool)', () => {
  it('ranks articles by the words of the query', () => {
    expect(searchArticles('rate limits batch', 1)[0]?.title).toBe('Rate limits');
    expect(searchArticles('which message hides the status? replies', 1)[0]?.title).toBe('Replies');
    expect(searchArticles('zzz qqq', 2)).toHaveLength(2); // nothing matches: still an answer, in corpus order
  });

  it("finds the article a person would expect for the README's sample question: whole words, no mention, no stop words", () => {
    // before: "how" matched "shows", "does" and the mention's "bot" counted, and "Bot statuses" outranked "Rate limits"
    const titles = (query: string, mentions?: string[]) => searchArticles(query, 2, mentions).map((h) => h.title);
    expect(titles('how does batching work?')).toEqual(['Rate limits']);
    expect(titles('@LLM Bot how does batching work?', ['LLM Bot'])).toEqual(['Rate limits']);
    // the portal's own form of a mention, whatever the bot's name
    expect(titles('[USER=12]LLM Bot[/USER] how does batching work?')).toEqual(['Rate limits']);
    // whole words: "show" is not "shows", "indicator" not "indicators"
    expect(titles('How does a bot show its status?')[0]).toBe('Bot statuses in Bitrix24');
    expect(titles('how long does the typing indicator last?')).toEqual(['User typing']);
  });

  it('folds plurals and common suffixes, so that a variant of a word finds its article', () => {
    // before: whole words only, so "limit" did not find "Rate limits", nor "batches" its "batch"
    const titles = (query: string) => searchArticles(query, 2).map((h) => h.title);
    expect(titles('what is the limit?')).toEqual(['Rate limits']);
    expect(titles('batches')).toEqual(['Rate limits']);
    expect(titles('reply')).toEqual(['Replies']);
    expect(titles('keystrokes renewed')).toEqual(['User typing']);
    expect(titles('when does a status last')[0]).toBe('Bot statuses in Bitrix24');
    // only suffixes are folded: a word that merely starts like another is no variant of it
    expect(titles('port')).toEqual(['Bot statuses in Bitrix24', 'User typing']); // nothing matches: corpus order
  });
});
