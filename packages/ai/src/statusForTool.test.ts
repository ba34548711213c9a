import { describe, expect, it } from 'vitest';
import { B24InputError } from '@b24-typing/core';
import { statusForTool } from './statusForTool';
import { defaultStatusRules } from './statusRules';

describe('statusForTool with the default rules', () => {
  it.each([
    ['webSearch', 'searching'],
    ['web_fetch', 'searching'],
    ['lookupCustomer', 'searching'],
    ['calculator', 'calculating'],
    ['evalMath', 'calculating'],
    ['translateText', 'translating'],
    ['Translation', 'translating'],
    ['readFile', 'readingDocs'],
    ['open_pdf', 'readingDocs'],
    ['getDocument', 'readingDocs'],
    ['httpRequest', 'connecting'],
    ['callApi', 'connecting'],
    ['fetchUrl', 'connecting'],
    ['verifyAddress', 'checking'],
    ['validateIban', 'checking'],
    ['checkStock', 'checking'],
    ['getWeather', 'processing'],
    ['', 'processing'],
  ])('%s → %s', (name, status) => {
    expect(statusForTool(name, defaultStatusRules)).toBe(status);
  });

  // The provider-executed tools of the AI SDK providers, under the names their docs give them in `tools`: a code
  // execution (Anthropic's, Google's and xAI's `code_execution`, OpenAI's `code_interpreter`) runs code to compute
  // or analyse; the searches and fetches (Google's `url_context` reads the pages a prompt links, as Anthropic's
  // `web_fetch` does) find information; OpenAI's `image_generation` generates; a computer, a shell or a text editor,
  // an MCP server's call or list fits no status of the platform's own (none says "operating" or "editing"), so they
  // take the fallback.
  it.each([
    ['code_execution', 'calculating'],
    ['codeExecution', 'calculating'],
    ['code_interpreter', 'calculating'],
    ['CodeInterpreter', 'calculating'],
    ['web_search', 'searching'],
    ['web_search_preview', 'searching'],
    ['google_search', 'searching'],
    ['web_fetch', 'searching'],
    ['file_search', 'searching'],
    ['url_context', 'searching'],
    ['urlContext', 'searching'],
    ['image_generation', 'generating'],
    ['imageGeneration', 'generating'],
    ['computer', 'processing'],
    ['shell', 'processing'],
    ['local_shell', 'processing'],
    ['mcp', 'processing'],
    ['bash', 'processing'],
    ['text_editor', 'processing'],
    ['str_replace_based_edit_tool', 'processing'],
  ])('provider tool %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  // A tool that writes, edits, moves or deletes a file (the MCP filesystem server's, GitHub's, LangChain's, Cline's,
  // CrewAI's) is not reading documents, though its name has `file` in it: no status says "writing" or "editing", so
  // it shows the fallback, as `str_replace_based_edit_tool` does. The reading ones still show `readingDocs`.
  it.each([
    ['write_file', 'processing'],
    ['edit_file', 'processing'],
    ['move_file', 'processing'],
    ['create_directory', 'processing'],
    ['delete_file', 'processing'],
    ['create_file', 'processing'],
    ['copy_file', 'processing'],
    ['file_delete', 'processing'],
    ['rename_file', 'processing'],
    ['remove_file', 'processing'],
    ['save_file', 'processing'],
    ['upload_file', 'processing'],
    ['append_to_file', 'processing'],
    ['write_to_file', 'processing'],
    ['replace_in_file', 'processing'],
    ['insert_edit_into_file', 'processing'],
    ['create_or_update_file', 'processing'],
    ['push_files', 'processing'],
    ['FileWriterTool', 'processing'],
    ['updateDocument', 'processing'],
    ['Write', 'processing'],
    ['MultiEdit', 'processing'],
    ['read_file', 'readingDocs'],
    ['read_text_file', 'readingDocs'],
    ['read_multiple_files', 'readingDocs'],
    ['get_file_info', 'readingDocs'],
    ['get_file_contents', 'readingDocs'],
    ['FileReadTool', 'readingDocs'],
    ['list_files', 'readingDocs'],
    ['search_files', 'searching'],
    ['list_directory', 'processing'],
    // the verbs come after the searches, the image generators and `translat`, which they do not take
    ['save_search_results', 'searching'],
    ['create_image_variation', 'generating'],
    ['translate_and_save', 'translating'],
    // and before `http`, `api`, `fetch`, `check`: creating a key is no connection
    ['create_api_key', 'processing'],
    // a word, not a prefix: `update` is no word of `updatedness`, `copy` of `copyright`, `move` of `movie`
    ['copyright_file', 'readingDocs'],
    ['movie_file', 'readingDocs'],
  ])('a tool that changes files, not one that reads them: %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  // An image generator shows `generating` under the names tools give it, as OpenAI's `image_generation` does; an
  // image's word alone is no rule (`describe_image` reads one), nor a verb (`create_issue` makes no image).
  it.each([
    ['generate_image', 'generating'],
    ['generateImage', 'generating'],
    ['GenerateImages', 'generating'],
    ['create_image', 'generating'],
    ['createImage', 'generating'],
    ['text_to_image', 'generating'],
    ['textToImage', 'generating'],
    ['dall_e', 'generating'],
    ['dall_e_3', 'generating'],
    ['DallETool', 'generating'],
    ['dalle', 'generating'],
    ['dalle3', 'generating'],
    ['describe_image', 'processing'],
    ['create_issue', 'processing'],
  ])('an image generator: %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  // A rule matches whole words of the name (its last word as a prefix), not any substring: `file` inside `Profile`,
  // `read` inside `spreadsheet`, `api` inside `Capital`, `valid` inside `invalidate` are no such word.
  it.each([
    ['getUserProfile', 'processing'],
    ['update_spreadsheet', 'processing'],
    ['getCapitalCity', 'processing'],
    ['invalidateCache', 'processing'],
    ['fetchURLContent', 'connecting'],
    ['runSQLQuery', 'processing'],
    ['HTTPRequest', 'connecting'],
    ['callAPI', 'connecting'],
    ['read_pdf', 'readingDocs'],
    ['listFiles', 'readingDocs'],
    ['calc2', 'calculating'],
    ['v2_web_search', 'searching'],
    ['codeexecution', 'calculating'],
    // `search` inside `research` was a search by substring, and still is by a rule of its own
    ['researchTopic', 'searching'],
    ['deep_research', 'searching'],
    ['lookUpCustomer', 'searching'],
  ])('word-aware: %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  // A default rule that is a word (`read`, `check`, `doc`, `web`, `search`, `fetch`, `file`) matches it and its
  // inflections, not every word it begins: `ready`, `checkout`, `docker`, `webhook` are other words.
  it.each([
    ['readyCheck', 'checking'],
    ['get_ready_state', 'processing'],
    ['readline', 'processing'],
    ['checkoutCart', 'processing'],
    ['checkpoint_save', 'processing'],
    ['checksum', 'processing'],
    ['checklist_get', 'processing'],
    ['docker_run', 'processing'],
    ['dockerPs', 'processing'],
    ['getDoctorSchedule', 'processing'],
    ['webhook_send', 'processing'],
    ['websocketSend', 'processing'],
    ['searchlight_toggle', 'processing'],
    ['fetchall', 'processing'],
    ['readonly_mode', 'processing'],
  ])('a word rule, not a word it begins: %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  // What the word rules must still take (their inflections, the words given rules of their own), what they never
  // took (`file` is no prefix of `filter`, a first word must be equal: `codec`, `imagemagick`), and the abbreviations,
  // which still match every word they begin.
  it.each([
    ['reads', 'readingDocs'],
    ['readers_list', 'readingDocs'],
    ['reading_list', 'readingDocs'],
    ['get_readme', 'readingDocs'],
    ['readmeFiles', 'readingDocs'],
    ['resolve_filepaths', 'readingDocs'],
    ['filename_normalize', 'readingDocs'],
    ['listFiles', 'readingDocs'],
    ['get_filings', 'readingDocs'],
    ['filed_reports', 'readingDocs'],
    ['listDocs', 'readingDocs'],
    ['getDocument', 'readingDocs'],
    ['documentation_get', 'readingDocs'],
    ['searches_list', 'searching'],
    ['searching', 'searching'],
    ['researcher', 'searching'],
    ['lookups', 'searching'],
    ['scrape_website', 'searching'],
    ['getWebpages', 'searching'],
    ['websearch', 'searching'],
    ['webfetch', 'searching'],
    ['webbrowser_open', 'searching'],
    ['filesystem_read', 'readingDocs'],
    ['readonly_filesystem', 'readingDocs'],
    ['url_contexts', 'searching'],
    ['fetcher', 'connecting'],
    ['fetching', 'connecting'],
    ['checked_items', 'checking'],
    ['checker', 'checking'],
    ['verifying', 'checking'],
    ['verified_list', 'checking'],
    ['verifies', 'checking'],
    ['filterResults', 'processing'],
    ['codecInfo', 'processing'],
    ['imagemagick_convert', 'processing'],
    ['runtime', 'processing'],
    ['calculator', 'calculating'],
    ['calc', 'calculating'],
    ['mathematics', 'calculating'],
    ['translator', 'translating'],
    ['validation', 'checking'],
    ['image_generator', 'generating'],
    ['code_interp', 'calculating'],
    ['httpsGet', 'connecting'],
    ['listAPIs', 'connecting'],
    ['pdfs', 'readingDocs'],
  ])('guard: %s → %s', (name, status) => {
    expect(statusForTool(name)).toBe(status);
  });

  it('matches the same when the default rules are spread into rules of its own (copied, not by identity)', () => {
    const rules = { tools: [{ match: /^crm/i, status: 'connecting' as const }, ...defaultStatusRules.tools] };
    expect([statusForTool('readyCheck', rules), statusForTool('docker_run', rules)]).toEqual([
      'checking',
      'processing',
    ]);
    // a rule copied field by field (rules loaded from JSON) keeps it too: it is data
    const copied = { tools: JSON.parse(JSON.stringify(defaultStatusRules.tools)) };
    expect([statusForTool('checkoutCart', copied), statusForTool('readFile', copied)]).toEqual([
      'processing',
      'readingDocs',
    ]);
  });

  it('gives the same answer every time for a global RegExp rule', () => {
    const rules = { tools: [{ match: /crm/g, status: 'checking' as const }], otherTool: 'processing' as const };
    expect([statusForTool('crm', rules), statusForTool('crm', rules), statusForTool('crm', rules)]).toEqual([
      'checking',
      'checking',
      'checking',
    ]);
  });

  it('matches with a frozen RegExp rule (rules deep-frozen by the app)', () => {
    const rules = {
      tools: [{ match: Object.freeze(/crm/i), status: 'checking' as const }],
      otherTool: 'processing' as const,
    };
    expect([statusForTool('CRM', rules), statusForTool('mail', rules)]).toEqual(['checking', 'processing']);
  });

  it("matches with a frozen global or sticky RegExp rule as given, and leaves the lastIndex of the app's RegExp alone", () => {
    // a global or sticky RegExp keeps lastIndex between tests: one frozen by the app must not throw once tested
    const rules = {
      tools: [
        { match: Object.freeze(/crm/g), status: 'checking' as const },
        { match: Object.freeze(/^mail/giy), status: 'connecting' as const },
        // sticky: tested from the start of the name, as an unfrozen one is
        { match: Object.freeze(/doc/y), status: 'readingDocs' as const },
      ],
      otherTool: 'processing' as const,
    };
    const names = ['crm', 'crm', 'MAIL_send', 'mail', 'doc_read', 'read_doc', 'doc_read'];
    expect(names.map((name) => statusForTool(name, rules))).toEqual([
      'checking',
      'checking',
      'connecting',
      'connecting',
      'readingDocs',
      'processing',
      'readingDocs',
    ]);
    // an app's unfrozen RegExp, which it may test itself elsewhere, is not written to either
    const own = /crm/g;
    expect(statusForTool('crm', { tools: [{ match: own, status: 'checking' }] })).toBe('checking');
    expect(own.lastIndex).toBe(0);
  });
});

describe('statusForTool with rules of its own', () => {
  it('uses the default rules when none are given, and each field given replaces only its default', () => {
    expect(statusForTool('webSearch')).toBe('searching');
    expect(statusForTool('getWeather', { otherTool: 'checking' })).toBe('checking');
    // the default tools still apply when only otherTool is given
    expect(statusForTool('webSearch', { otherTool: 'checking' })).toBe('searching');
    // tools given replace the defaults: 'search' no longer matches
    expect(statusForTool('webSearch', { tools: [{ match: /^crm/i, status: 'checking' }] })).toBe('processing');
    expect(statusForTool('CRM_find', { tools: [{ match: /^crm/i, status: 'checking' }] })).toBe('checking');
  });

  it('matches a string rule of its own by words, whatever the case of either', () => {
    const rules = { tools: [{ match: 'CRM', status: 'checking' as const }] };
    expect([statusForTool('crmLookup', rules), statusForTool('find_Crm_deal', rules)]).toEqual([
      'checking',
      'checking',
    ]);
    expect(statusForTool('getWeather', rules)).toBe('processing');
    // not inside a word: `crm` in `scrm` is no word of its own
    expect(statusForTool('scrmSync', rules)).toBe('processing');
  });

  it('matches a rule of several words where they come in a row, the last one as a prefix', () => {
    const rules = { tools: [{ match: 'deal_upd', status: 'checking' as const }] };
    expect(statusForTool('crmDealUpdate', rules)).toBe('checking');
    expect(statusForTool('CRM_DEAL_UPDATE', rules)).toBe('checking');
    expect(statusForTool('deal-updater', rules)).toBe('checking');
    // the words apart, the first only a prefix, or the other way round: no match
    expect(statusForTool('dealGetUpdate', rules)).toBe('processing');
    expect(statusForTool('dealsUpdate', rules)).toBe('processing');
    expect(statusForTool('updateDeal', rules)).toBe('processing');
    // a rule written in another case style is split the same way
    expect(statusForTool('crm_deal_update', { tools: [{ match: 'DealUpd', status: 'checking' }] })).toBe('checking');
  });

  it('matches the last word of a rule of its own as a prefix, or with `prefix: false` as a word and its inflections', () => {
    const prefix = { tools: [{ match: 'note', status: 'checking' as const }] };
    expect([statusForTool('notebookOpen', prefix), statusForTool('addNote', prefix)]).toEqual(['checking', 'checking']);
    const word = { tools: [{ match: 'note', status: 'checking' as const, prefix: false }] };
    expect([
      statusForTool('notebookOpen', word),
      statusForTool('addNote', word),
      statusForTool('list_notes', word),
      statusForTool('noting', word),
      statusForTool('notedItems', word),
    ]).toEqual(['processing', 'checking', 'checking', 'checking', 'checking']);
    // a final e is dropped or a y turned i only before an ending that makes a word of it: `not` is no form of `note`,
    // nor `copi` of `copy`
    const copy = { tools: [{ match: 'copy', status: 'checking' as const, prefix: false }] };
    expect([
      statusForTool('isNotEmpty', word),
      statusForTool('list_nots', word),
      statusForTool('copi_mode', copy),
      statusForTool('copied_rows', copy),
      statusForTool('fil_open'),
      statusForTool('get_websit'),
    ]).toEqual(['processing', 'processing', 'processing', 'checking', 'processing', 'processing']);
    // a rule of several words: the first ones equal as ever, only the last may be inflected
    const words = { tools: [{ match: 'deal_update', status: 'checking' as const, prefix: false }] };
    expect([
      statusForTool('crmDealUpdates', words),
      statusForTool('dealUpdater', words),
      statusForTool('dealsUpdate', words),
      statusForTool('dealUpdateTime', words),
      statusForTool('dealUpdatedness', words),
    ]).toEqual(['checking', 'checking', 'processing', 'checking', 'processing']);
    // `prefix` is for a string: a RegExp is tested as given
    expect(statusForTool('notebook', { tools: [{ match: /note/, status: 'checking', prefix: false }] })).toBe(
      'checking',
    );
  });

  it.each([
    ['a rule whose match is a number', { tools: [{ match: 5, status: 'searching' }] }, 'rules.tools[0].match'],
    ['an empty match', { tools: [{ match: '', status: 'searching' }] }, 'rules.tools[0].match'],
    // no word in it: a rule that could never match
    ['a match of separators only', { tools: [{ match: '_-', status: 'searching' }] }, 'rules.tools[0].match'],
    ['a rule that is null', { tools: [null] }, 'rules.tools[0]'],
    // a hole (`tools[1] = rule` on an empty array) is skipped by forEach but read by for…of: a TypeError later
    ['a hole in the tools', { tools: Object.assign([], { 1: { match: 'x', status: 'searching' } }) }, 'rules.tools[0]'],
    ['a status that is not one', { tools: [{ match: 'x', status: 'bogus' }] }, 'rules.tools[0].status'],
    [
      'a prefix that is not a boolean',
      { tools: [{ match: 'x', status: 'searching', prefix: 'no' }] },
      'rules.tools[0].prefix',
    ],
    ['tools that are not an array', { tools: 'search' }, 'rules.tools'],
    ['tools that are an empty string (falsy, yet given)', { tools: '' }, 'rules.tools'],
    ['an otherTool that is not a status', { tools: [], otherTool: 'bogus' }, 'rules.otherTool'],
    ['rules that are not an object', 'search', 'rules'],
    ['null rules', null, 'rules'],
  ] as const)('refuses %s with a B24InputError naming the field', (_, rules, field) => {
    const call = () => statusForTool('webSearch', rules as never);
    expect(call).toThrow(B24InputError);
    expect(call).toThrow(expect.objectContaining({ field, kind: 'input' }));
  });

  it('refuses a tool name that is not a string', () => {
    expect(() => statusForTool(undefined as never)).toThrow(expect.objectContaining({ field: 'toolName' }));
    expect(() => statusForTool(42 as never, defaultStatusRules)).toThrow(B24InputError);
  });
});
