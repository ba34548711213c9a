import { describe, expect, it } from 'vitest';
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

  it('gives the same answer every time for a global RegExp rule', () => {
    const rules = { tools: [{ match: /crm/g, status: 'checking' as const }], otherTool: 'processing' as const };
    expect([statusForTool('crm', rules), statusForTool('crm', rules), statusForTool('crm', rules)]).toEqual([
      'checking',
      'checking',
      'checking',
    ]);
  });
});
