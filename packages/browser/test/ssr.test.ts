import { afterEach, expect, it, vi } from 'vitest';

const GLOBALS = ['window', 'document', 'navigator', 'fetch', 'self', 'location', 'HTMLElement', 'InputEvent'] as const;
const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

it('imports in Node (SSR) without reading any browser global, and finds fetch only when called', async () => {
  expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
  const touched: string[] = [];
  for (const name of GLOBALS) {
    const had = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return had?.get ? had.get.call(globalThis) : had?.value;
      },
    });
    restore.push(() => {
      if (had) Object.defineProperty(globalThis, name, had);
      else delete (globalThis as Record<string, unknown>)[name];
    });
  }
  vi.resetModules();
  const browser = await import('./../src/index');
  expect(Object.keys(browser).sort()).toEqual([
    'bindTyping',
    'createBx24Transport',
    'createFetchTransport',
    'keystrokes',
    'submits',
  ]);
  const transport = browser.createFetchTransport({ clientEndpoint: 'http://127.0.0.1:9/rest/', auth: () => 't' });
  expect(touched).toEqual([]);
  // fetch is looked up at call time: the refused connection comes back as a classified error.
  await expect(transport.call('im.dialog.writing', { DIALOG_ID: 'chat1' })).rejects.toMatchObject({
    name: 'B24Error',
    kind: 'network',
  });
  expect(touched).toContain('fetch');
});
