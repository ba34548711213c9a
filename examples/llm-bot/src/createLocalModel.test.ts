import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { createLocalModel } from './createLocalModel';

/** The text the local model writes for `question` once its search found `hits` (its second step), at speed 0. */
async function answerTo(question: string, hits = [{ title: 'User typing', text: 'It renews every ~22 s.' }]) {
  const options = {
    prompt: [
      { role: 'user', content: [{ type: 'text', text: question }] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'call-1',
            toolName: 'webSearch',
            output: { type: 'json', value: { hits } },
          },
        ],
      },
    ],
  } as LanguageModelV3CallOptions;
  const { stream } = await createLocalModel({ speed: 0 }).doStream(options);
  let text = '';
  for await (const part of stream as unknown as AsyncIterable<LanguageModelV3StreamPart>) {
    if (part.type === 'text-delta') text += part.delta;
  }
  return text;
}

describe('createLocalModel (the demo model)', () => {
  it('quotes a short question whole, and answers from the hits', async () => {
    expect(await answerTo('How long does the typing indicator last?')).toBe(
      'You asked "How long does the typing indicator last?". Here is what I found. User typing: It renews every ~22 s.',
    );
  });

  it('quotes a long question cut after a whole word, marked with "…", never mid-word', async () => {
    // before: cut at 120 characters as it fell, 'You asked "… is renewed while s".': a misquote to whoever reads it
    const question =
      'I would like to know, in some detail, how exactly the typing indicator of a person in a Bitrix24 chat is ' +
      'renewed while she keeps typing for a long time, and when it stops';
    const quoted = /^You asked "(.*)"\. Here is what I found\./.exec(await answerTo(question))?.[1];
    expect(quoted).toBe(
      'I would like to know, in some detail, how exactly the typing indicator of a person in a Bitrix24 chat is renewed while…',
    );
    // an emoji at the cut is whole or gone, never half of it (clip counts code points)
    const emoji = `${'word '.repeat(23)}abcd😀ef and more`; // the 120th character is the emoji
    const cut = /^You asked "(.*)"\./.exec(await answerTo(emoji))?.[1] ?? '';
    expect(cut).toBe(`${'word '.repeat(23).trimEnd()}…`);
    expect(cut).not.toMatch(/\p{Cs}/u); // no lone half of a surrogate pair
  });
});
