import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDomPage } from '../test/domPage';
import type { DomPage } from '../test/domPage';
import { submits } from './submits';

let dom: DomPage;
beforeAll(async () => {
  dom = await openDomPage();
  await dom.page.evaluate(() => {
    const form = document.getElementById('form') as HTMLFormElement;
    form.addEventListener('submit', (e) => e.preventDefault()); // the app's own handler: stay on the page
    window.b24.submits(document.getElementById('ta')!, { enterToSend: true }).subscribe((e) => {
      window.events.push(`ta:${e.type}${e instanceof KeyboardEvent ? `:${e.key}` : ''}`);
    });
    window.b24.submits(document.getElementById('ce')!).subscribe((e) => window.events.push(`ce:${e.type}`));
  });
});
afterAll(() => dom?.close());
beforeEach(async () => {
  await dom.page.fill('#ta', '');
  await dom.take();
});

describe('submits in Chromium', () => {
  it('emits on Enter without Shift and keeps the newline out of the composer', async () => {
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('hi');
    await dom.page.keyboard.press('Enter');
    expect(await dom.take()).toEqual(['ta:keydown:Enter']);
    expect(await dom.page.inputValue('#ta')).toBe('hi');
  });

  it('sends once for a held Enter: its auto-repeats are no further sends, and add no newline either', async () => {
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('hi');
    await dom.page.keyboard.down('Enter');
    await dom.page.keyboard.down('Enter'); // the key still down: an auto-repeat (repeat: true)
    await dom.page.keyboard.down('Enter');
    await dom.page.keyboard.up('Enter');
    expect(await dom.take()).toEqual(['ta:keydown:Enter']);
    expect(await dom.page.inputValue('#ta')).toBe('hi');
  });

  it('leaves Shift+Enter a newline', async () => {
    await dom.page.focus('#ta');
    await dom.page.keyboard.type('a');
    await dom.page.keyboard.press('Shift+Enter');
    await dom.page.keyboard.type('b');
    expect(await dom.take()).toEqual([]);
    expect(await dom.page.inputValue('#ta')).toBe('a\nb');
  });

  it("emits on the form's submit, for every composer in it", async () => {
    await dom.page.click('#send');
    expect(await dom.take()).toEqual(['ta:submit', 'ce:submit']);
  });

  it('does not treat Enter as a send without enterToSend', async () => {
    await dom.page.focus('#ce');
    await dom.page.keyboard.press('Enter');
    expect(await dom.take()).toEqual([]);
  });

  it('does not send on the Enter that commits an IME composition', async () => {
    const { page } = dom;
    await page.focus('#ta');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ka', selectionStart: 2, selectionEnd: 2 });
    // What an IME sends for its commit key: a keydown the page sees with isComposing / keyCode 229.
    await cdp.send('Input.dispatchKeyEvent', {
      type: 'rawKeyDown',
      key: 'Enter',
      code: 'Enter',
      windowsVirtualKeyCode: 229,
    });
    await cdp.send('Input.insertText', { text: 'か' });
    await cdp.detach();
    expect(await dom.take()).toEqual([]);
    expect(await page.inputValue('#ta')).toBe('か');
  });

  it('does not send on an Enter marked by isComposing alone (Chrome, Firefox) or by key code 229 alone (Safari)', async () => {
    const seen = await dom.page.evaluate(() => {
      const ta = document.getElementById('ta')!;
      const enter = (init: KeyboardEventInit, keyCode?: number) => {
        const event = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init });
        if (keyCode !== undefined) Object.defineProperty(event, 'keyCode', { value: keyCode });
        ta.dispatchEvent(event);
        return event.defaultPrevented;
      };
      return [enter({ isComposing: true }), enter({ isComposing: false }, 229), enter({})];
    });
    expect(seen).toEqual([false, false, true]);
    expect(await dom.take()).toEqual(['ta:keydown:Enter']); // only the plain Enter
  });

  it("follows the composer's form at the moment of the submit: moved to another form, or put into one later", async () => {
    const seen = await dom.page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<form id="a"></form><form id="b"></form>');
      const [a, b] = ['a', 'b'].map((id) => document.getElementById(id) as HTMLFormElement);
      const log: string[] = [];
      for (const form of [a!, b!]) form.addEventListener('submit', (e) => e.preventDefault());
      const composer = document.createElement('textarea'); // not in any form yet
      const sub = window.b24.submits(composer).subscribe((e) => log.push((e.target as HTMLFormElement).id));
      a!.requestSubmit();
      a!.append(composer);
      a!.requestSubmit();
      b!.append(composer);
      a!.requestSubmit();
      b!.requestSubmit();
      sub.unsubscribe();
      a!.remove();
      b!.remove();
      return log;
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('goes by the form="…" attribute, and an input whose form="…" names no form belongs to none', async () => {
    const seen = await dom.page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        '<form id="outer"><input id="owned" form="other"><input id="orphan" form="missing"></form><form id="other"></form>',
      );
      const log: string[] = [];
      document.addEventListener('submit', (e) => e.preventDefault());
      const subs = ['owned', 'orphan'].map((id) =>
        window.b24
          .submits(document.getElementById(id)!)
          .subscribe((e) => log.push(`${id}:${(e.target as HTMLElement).id}`)),
      );
      for (const id of ['outer', 'other']) (document.getElementById(id) as HTMLFormElement).requestSubmit();
      for (const sub of subs) sub.unsubscribe();
      for (const id of ['outer', 'other']) document.getElementById(id)!.remove();
      return log;
    });
    expect(seen).toEqual(['owned:other']);
  });

  it.each([
    ['a form inside a shadow root, whose handler stops propagation', 'shadow'],
    ['a form itself, even one with a control named "form"', 'form'],
  ])('hears %s', async (_, kind) => {
    const seen = await dom.page.evaluate((kind) => {
      const host = document.body.appendChild(document.createElement('div'));
      const root = kind === 'shadow' ? host.attachShadow({ mode: 'open' }) : host;
      root.innerHTML = '<form><textarea name="form"></textarea></form>';
      const form = root.querySelector('form')!;
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        e.stopPropagation();
      });
      let count = 0;
      const sub = window.b24
        .submits(kind === 'shadow' ? root.querySelector('textarea')! : form)
        .subscribe(() => count++);
      form.requestSubmit();
      sub.unsubscribe();
      host.remove();
      return count;
    }, kind);
    expect(seen).toBe(1);
  });

  it('hears the form in the shadow root of a web component subscribed before the component is in the page', async () => {
    // A custom element builds its shadow root, form and composer in its constructor and subscribes there, before the
    // page appends it: the composer is not connected yet, but its root is already the shadow root.
    const seen = await dom.page.evaluate(() => {
      const host = document.createElement('div');
      const root = host.attachShadow({ mode: 'open' });
      root.innerHTML = '<form><textarea></textarea></form>';
      const form = root.querySelector('form')!;
      form.addEventListener('submit', (e) => e.preventDefault());
      let count = 0;
      const sub = window.b24.submits(root.querySelector('textarea')!).subscribe(() => count++);
      document.body.append(host);
      form.requestSubmit();
      sub.unsubscribe();
      form.requestSubmit();
      host.remove();
      return count;
    });
    expect(seen).toBe(1);
  });

  it('counts Enter with Ctrl, Alt or Meta as a send too (only Shift makes it a newline)', async () => {
    await dom.page.focus('#ta');
    for (const key of ['Control+Enter', 'Alt+Enter', 'Meta+Enter']) await dom.page.keyboard.press(key);
    expect(await dom.take()).toEqual(['ta:keydown:Enter', 'ta:keydown:Enter', 'ta:keydown:Enter']);
    expect(await dom.page.inputValue('#ta')).toBe('');
  });

  it('with enterToSend, leaves Enter alone where the browser already makes it a submit (an input or button in a form)', async () => {
    const { page } = dom;
    await page.evaluate(() => {
      const form = document.getElementById('form') as HTMLFormElement;
      const log = (source: string) => (e: Event) => window.events.push(`${source}:${e.type}`);
      const app = log('app');
      form.addEventListener('submit', app); // how the page itself sends
      const subs = [
        window.b24.submits(document.getElementById('in')!, { enterToSend: true }).subscribe(log('in')),
        window.b24.submits(form, { enterToSend: true }).subscribe(log('form')),
      ];
      (window as unknown as { unsubs: () => void }).unsubs = () => {
        for (const sub of subs) sub.unsubscribe();
        form.removeEventListener('submit', app);
      };
    });
    await page.focus('#in');
    await page.keyboard.press('Enter'); // implicit submission
    await page.focus('#send');
    await page.keyboard.press('Enter'); // the button's activation
    await page.focus('#ta');
    await page.keyboard.press('Enter'); // a textarea's Enter is a newline: the keydown is the send
    const taken = await dom.take();
    await page.evaluate(() => (window as unknown as { unsubs: () => void }).unsubs());
    expect(taken.filter((e) => !e.startsWith('ce:'))).toEqual([
      ...['ta:submit', 'in:submit', 'form:submit', 'app:submit'],
      ...['ta:submit', 'in:submit', 'form:submit', 'app:submit'],
      ...['ta:keydown:Enter', 'form:keydown'],
    ]);
    expect(await page.inputValue('#ta')).toBe('');
  });

  it('with enterToSend on a form, leaves Enter alone on a link or a custom button in it (not a send)', async () => {
    const { page } = dom;
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        '<form id="f2"><textarea id="msg"></textarea><a id="help" href="#help">Help</a>' +
          '<div id="emoji" role="button" tabindex="0">Emoji</div></form>',
      );
      const form = document.getElementById('f2') as HTMLFormElement;
      const log = (source: string) => (e: Event) => window.events.push(`${source}:${e.type}`);
      // The app's own keyboard activation of its custom button.
      document.getElementById('emoji')!.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter') window.events.push('emoji:opened');
      });
      const sub = window.b24.submits(form, { enterToSend: true }).subscribe(log('f2'));
      (window as unknown as { unsubs: () => void }).unsubs = () => {
        sub.unsubscribe();
        form.remove();
      };
    });
    await page.focus('#help');
    await page.keyboard.press('Enter'); // follows the link
    await page.focus('#emoji');
    await page.keyboard.press('Enter');
    await page.focus('#msg');
    await page.keyboard.press('Enter'); // the composer's Enter is still a send
    const hash = await page.evaluate(() => location.hash);
    await page.evaluate(() => {
      (window as unknown as { unsubs: () => void }).unsubs();
      history.replaceState(null, '', location.pathname);
    });
    expect(hash).toBe('#help');
    expect(await dom.take()).toEqual(['emoji:opened', 'f2:keydown']);
  });

  it('with enterToSend, sends on Enter in a web component whose textarea is in its shadow root', async () => {
    const seen = await dom.page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<form id="f3"><x-composer id="xc"></x-composer></form>');
      const host = document.getElementById('xc')!;
      host.attachShadow({ mode: 'open' }).innerHTML = '<textarea></textarea>';
      const form = document.getElementById('f3') as HTMLFormElement;
      const log: string[] = [];
      const subs = [host, form].map((el) =>
        window.b24.submits(el, { enterToSend: true }).subscribe((e) => log.push(`${el.id}:${e.type}`)),
      );
      const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, composed: true });
      host.shadowRoot!.querySelector('textarea')!.dispatchEvent(enter);
      for (const sub of subs) sub.unsubscribe();
      form.remove();
      return [...log, enter.defaultPrevented];
    });
    expect(seen).toEqual(['xc:keydown', 'f3:keydown', true]);
  });

  it("with enterToSend, leaves Enter to the form in a web component's input that belongs to the form", async () => {
    const seen = await dom.page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<form id="f4"><x-field id="xf"></x-field></form>');
      const host = document.getElementById('xf')!;
      // A form-associated field (as with ElementInternals) reports its form and type on the host.
      Object.assign(host, { form: host.closest('form'), type: 'text' });
      host.attachShadow({ mode: 'open' }).innerHTML = '<input>';
      const form = document.getElementById('f4') as HTMLFormElement;
      const log: string[] = [];
      const subs = [host, form].map((el) =>
        window.b24.submits(el, { enterToSend: true }).subscribe((e) => log.push(`${el.id}:${e.type}`)),
      );
      const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, composed: true });
      host.shadowRoot!.querySelector('input')!.dispatchEvent(enter);
      for (const sub of subs) sub.unsubscribe();
      form.remove();
      return [...log, enter.defaultPrevented];
    });
    expect(seen).toEqual([false]);
  });

  it('with enterToSend, sends on Enter in an input that has no form', async () => {
    const seen = await dom.page.evaluate(() => {
      const input = document.body.appendChild(document.createElement('input'));
      const log: string[] = [];
      const sub = window.b24.submits(input, { enterToSend: true }).subscribe((e) => log.push(e.type));
      const event = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
      input.dispatchEvent(event);
      sub.unsubscribe();
      input.remove();
      return [...log, event.defaultPrevented];
    });
    expect(seen).toEqual(['keydown', true]);
  });

  it.each([
    ['on the composer, added before subscribing', 'before'],
    ['capturing on the composer, added after subscribing', 'capture'],
    ['capturing at the document', 'document'],
  ])(
    'with enterToSend, is no send on an Enter that an autocomplete picker handled and cancelled (%s)',
    async (_, where) => {
      const { page } = dom;
      await page.evaluate((where) => {
        document.body.insertAdjacentHTML('beforeend', '<textarea id="pick"></textarea>');
        const ta = document.getElementById('pick') as HTMLTextAreaElement;
        // A mention picker: "@" opens it, and Enter picks the highlighted entry instead of a newline or a send.
        let open = false;
        const picker = (e: Event) => {
          const key = e as KeyboardEvent;
          if (key.target !== ta) return;
          if (key.key === '@') open = true;
          else if (key.key === 'Enter' && open) {
            key.preventDefault();
            ta.value += 'Alice ';
            open = false;
            window.events.push('picked');
          }
        };
        if (where === 'before') ta.addEventListener('keydown', picker);
        if (where === 'document') document.addEventListener('keydown', picker, true);
        const sub = window.b24
          .submits(ta, { enterToSend: true })
          .subscribe((e) => window.events.push(`pick:${e.type}`));
        if (where === 'capture') ta.addEventListener('keydown', picker, true);
        (window as unknown as { unsubs: () => void }).unsubs = () => {
          sub.unsubscribe();
          document.removeEventListener('keydown', picker, true);
          ta.remove();
        };
      }, where);
      await page.focus('#pick');
      await page.keyboard.type('hi @');
      await page.keyboard.press('Enter'); // picks "Alice": no send
      const picked = [await dom.take(), await page.inputValue('#pick')];
      await page.keyboard.press('Shift+Enter'); // still a newline
      await page.keyboard.type('bye');
      await page.keyboard.press('Enter'); // the picker is closed: a send
      const sent = [await dom.take(), await page.inputValue('#pick')];
      await page.evaluate(() => (window as unknown as { unsubs: () => void }).unsubs());
      expect(picked).toEqual([['picked'], 'hi @Alice ']);
      expect(sent).toEqual([['pick:keydown'], 'hi @Alice \nbye']);
    },
  );

  it('with enterToSend, emits from every submits on one composer for one Enter (one does not cancel the others)', async () => {
    const { page } = dom;
    await page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<textarea id="two"></textarea>');
      const ta = document.getElementById('two')!;
      // As with bindTyping's default sentOn next to the app's own submits that does the sending.
      const subs = ['first', 'second'].map((name) =>
        window.b24.submits(ta, { enterToSend: true }).subscribe((e) => window.events.push(`${name}:${e.type}`)),
      );
      (window as unknown as { unsubs: () => void }).unsubs = () => {
        for (const sub of subs) sub.unsubscribe();
        ta.remove();
      };
    });
    await page.focus('#two');
    await page.keyboard.type('hi');
    await page.keyboard.press('Enter');
    const value = await page.inputValue('#two');
    await page.evaluate(() => (window as unknown as { unsubs: () => void }).unsubs());
    expect(await dom.take()).toEqual(['first:keydown', 'second:keydown']);
    expect(value).toBe('hi');
  });

  it('removes its listeners on unsubscribe', async () => {
    const seen = await dom.page.evaluate(() => {
      const ta = document.getElementById('ta')!;
      let count = 0;
      const sub = window.b24.submits(ta, { enterToSend: true }).subscribe(() => count++);
      const enter = () =>
        ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      const submit = () => (document.getElementById('form') as HTMLFormElement).requestSubmit();
      enter();
      submit();
      const during = count;
      sub.unsubscribe();
      enter();
      submit();
      return { during, after: count };
    });
    expect(seen).toEqual({ during: 2, after: 2 });
  });

  it('leaves no listener on the composer or its document after unsubscribe, as the browser itself counts them', async () => {
    const { page } = dom;
    const cdp = await page.context().newCDPSession(page);
    try {
      const count = async () => {
        let total = 0;
        for (const expression of ['document.getElementById("ta")', 'document']) {
          const { result } = await cdp.send('Runtime.evaluate', { expression });
          const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId! });
          total += listeners.length;
        }
        return total;
      };
      const before = await count();
      await page.evaluate(() => {
        const sub = window.b24.submits(document.getElementById('ta')!, { enterToSend: true }).subscribe();
        (window as unknown as { unsubs: () => void }).unsubs = () => sub.unsubscribe();
      });
      const during = await count();
      await page.evaluate(() => (window as unknown as { unsubs: () => void }).unsubs());
      expect({ during: during - before, after: (await count()) - before }).toEqual({ during: 2, after: 0 });
    } finally {
      await cdp.detach();
    }
  });
});

describe('submits input checks', () => {
  const element = { addEventListener() {}, removeEventListener() {} } as unknown as HTMLElement;

  it.each([null, 5, 'enter'])('rejects options %j with a typed input error', (options) => {
    expect(() => submits(element, options as never)).toThrow(
      expect.objectContaining({ name: 'B24InputError', kind: 'input', field: 'options' }),
    );
  });
});
