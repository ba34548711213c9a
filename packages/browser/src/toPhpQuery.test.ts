import { expect, it } from 'vitest';
import { toPhpQuery } from './toPhpQuery';

it('serialises nested params in PHP bracket syntax, as parse_str reads batch commands', () => {
  expect(
    toPhpQuery({ DIALOG_ID: 'chat1', fields: { message: 'a&b=c', ids: [1, 2] }, flag: true, off: false, gone: null }),
  ).toBe(
    'DIALOG_ID=chat1&fields%5Bmessage%5D=a%26b%3Dc&fields%5Bids%5D%5B0%5D=1&fields%5Bids%5D%5B1%5D=2&flag=1&off=0',
  );
});

it('round-trips through URLSearchParams keys the way PHP would see them', () => {
  const parsed = [...new URLSearchParams(toPhpQuery({ botId: 7, dialogId: 'chat12', text: 'привет, мир' }))];
  expect(parsed).toEqual([
    ['botId', '7'],
    ['dialogId', 'chat12'],
    ['text', 'привет, мир'],
  ]);
});
