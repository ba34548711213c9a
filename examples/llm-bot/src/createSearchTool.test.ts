import { describe, expect, it } from 'vitest';
import { searchArticles } from './createSearchTool';

describe('searchArticles (the local webSearch tool)', () => {
  it('ranks articles by the words of the query', () => {
    expect(searchArticles('rate limits batch', 1)[0]?.title).toBe('Rate limits');
    expect(searchArticles('which message hides the status? replies', 1)[0]?.title).toBe('Replies');
    expect(searchArticles('zzz qqq', 2)).toHaveLength(2); // nothing matches: still an answer, in corpus order
  });
});
