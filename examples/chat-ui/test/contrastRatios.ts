import type { Page } from 'playwright-core';

/** What is not text: WCAG AA asks 3:1 of it (text: 4.5:1). */
const NON_TEXT = ['send button', 'send icon', 'composer border', 'focus ring'];

/**
 * WCAG contrast of each part of the chat against what it sits on, as the page shows it now (light or dark scheme).
 * The page must show a "Not sent" note and someone typing: every part is measured, none may be missing. A control
 * the keyboard has focused (`:focus-visible`) adds its focus ring, against what is around it.
 */
export function contrastRatios(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const f = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const ratio = (a: string, b: string) => {
      const [x, y] = [luminance(rgb(a)), luminance(rgb(b))].sort((p, q) => q - p);
      return (x! + 0.05) / (y! + 0.05);
    };
    /** The first opaque background at or above the element. */
    const background = (element: Element | null): string => {
      for (let e = element; e; e = e.parentElement) {
        const color = getComputedStyle(e).backgroundColor;
        const alpha = rgb(color)[3];
        if (alpha === undefined || alpha > 0) return color;
      }
      return 'rgb(255, 255, 255)';
    };
    const text: Record<string, string> = {
      'message text': '#messages li:not(.mine) .text',
      'message text (own)': '#messages li.mine:not(.pending):not(.failed) .text',
      'message text (not sent)': '#messages li.failed .text',
      author: '#messages li:not(.mine) .author',
      time: '#messages .time',
      'time (own)': '#messages li.mine .time',
      'chat title': '#chat-title',
      'typing line': '#typing-text',
      members: '#chat-sub',
      'panel heading': '.sidebar h2',
      'panel note': '.sidebar .muted',
      'panel typing': '#live li span:not(.avatar)',
      connection: '#connection',
      avatar: '#messages .avatar',
      logo: '.logo',
      'not sent': '.send-error',
      'not sent button': '.send-error button',
      'composer text': '#message',
    };
    const out: Record<string, number> = {};
    for (const [what, selector] of Object.entries(text)) {
      const elements = [...document.querySelectorAll(selector)];
      if (elements.length === 0) throw new Error(`nothing matches ${selector}`);
      out[what] = Math.min(...elements.map((e) => ratio(getComputedStyle(e).color, background(e))));
    }
    const textarea = document.getElementById('message')!;
    out.placeholder = ratio(getComputedStyle(textarea, '::placeholder').color, background(textarea));
    const send = document.getElementById('send')!;
    const composer = document.getElementById('composer')!;
    out['send button'] = ratio(getComputedStyle(send).backgroundColor, background(composer));
    out['send icon'] = ratio(getComputedStyle(send).color, getComputedStyle(send).backgroundColor);
    out['composer border'] = ratio(getComputedStyle(textarea).borderTopColor, background(composer));
    const focused = document.querySelector(':focus-visible');
    if (focused) out['focus ring'] = ratio(getComputedStyle(focused).outlineColor, background(focused.parentElement));
    return out;
  });
}

/** The parts below WCAG AA (4.5:1 for text, 3:1 for the rest), with their ratios: `[]` when all pass. */
export const belowAA = (ratios: Record<string, number>): [string, number][] =>
  Object.entries(ratios).filter(([what, r]) => r < (NON_TEXT.includes(what) ? 3 : 4.5));
