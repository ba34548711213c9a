import { describe, expect, it } from 'vitest';
import { toolNameWords } from './toolNameWords';

describe('toolNameWords', () => {
  it.each([
    ['runSQLQuery', ['run', 'sql', 'query']],
    ['fetchURLContent', ['fetch', 'url', 'content']],
    ['code_execution', ['code', 'execution']],
    ['CodeExecution', ['code', 'execution']],
    ['WEB_SEARCH', ['web', 'search']],
    ['web-search.v2', ['web', 'search', 'v', '2']],
    ['base64Encode', ['base', '64', 'encode']],
    ['HTTPRequest', ['http', 'request']],
    ['callAPI', ['call', 'api']],
    // a plural acronym keeps its s: a `url` rule still begins the word
    ['fetchURLs', ['fetch', 'urls']],
    ['listAPIsNow', ['list', 'apis', 'now']],
    ['SQLServer', ['sql', 'server']],
    ['übersetzeText', ['übersetze', 'text']],
    ['__', []],
    ['', []],
  ])('%s → %j', (name, words) => {
    expect(toolNameWords(name)).toEqual(words);
  });
});
