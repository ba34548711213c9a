import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDomPage } from '../test/domPage';
import type { DomPage } from '../test/domPage';
import { keystrokes } from './keystrokes';

let dom: DomPage;
beforeAll(async () => {
  dom = await openDomPage();
  await dom.page.evaluate(() => {
    // One subscription per composer kind, for the whole file; the log names the element.
    for (const id of ['ta', 'in', 'ce']) {
      window.b24.keystrokes(document.getElementById(id)!).subscribe((e) => {
        window.events.push(`${id}:${e.type}${e instanceof InputEvent && e.inputType ? `:${e.inputType}` : ''}`);
      });
    }
  });
});
afterAll(() => dom?.close());
beforeEach(async () => {
  await dom.page.evaluate(() => {
    (document.getElementById('ta') as HTMLTextAreaElement).value = '';
    (document.getElementById('in') as HTMLInputElement).value = '';
    document.getElementById('ce')!.textContent = '';
  });
  await dom.take();
});

describe('keystrokes in Chromium', () => {
  it.each(['ta', 'in', 'ce'])('counts each typed character in #%s', async (id) => {
    await dom.page.focus(`#${id}`);
    await dom.page.keyboard.type('hey', { delay: 5 });
    expect(await dom.take()).toEqual([`${id}:input:insertText`, `${id}:input:insertText`, `${id}:input:insertText`]);
  });

  it('counts deletions, and nothing for keys that change nothing', async () => {
    const { page } = dom;
    await page.focus('#ta');
    for (const key of [
      'ArrowLeft',
      'ArrowRight',
      'ArrowUp',
      'Home',
      'End',
      'Shift',
      'Control',
      'Alt',
      'Meta',
      'Escape',
    ]) {
      await page.keyboard.press(key);
    }
    await page.keyboard.press('Backspace'); // empty box: nothing to delete
    await page.keyboard.press('Delete');
    expect(await dom.take()).toEqual([]);
    await page.keyboard.type('ab');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Delete');
    await page.keyboard.press('Delete'); // at the end now: changes nothing
    expect(await dom.take()).toEqual([
      'ta:input:insertText',
      'ta:input:insertText',
      'ta:input:deleteContentBackward',
      'ta:input:deleteContentForward',
    ]);
    expect(await page.inputValue('#ta')).toBe('');
  });

  it('does not count Tab (focus moves, nothing changes)', async () => {
    await dom.page.focus('#in');
    await dom.page.keyboard.press('Tab');
    await dom.page.keyboard.press('Shift+Tab');
    expect(await dom.take()).toEqual([]);
  });

  it('counts a cut, a paste and an undo', async () => {
    const { page } = dom;
    await page.focus('#ta');
    await page.keyboard.type('x');
    await dom.take();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+X');
    await page.keyboard.press('Control+V');
    await page.keyboard.press('Control+Z');
    const events = await dom.take();
    expect(events).toContain('ta:input:deleteByCut');
    expect(events).toContain('ta:input:insertFromPaste');
    expect(events).toContain('ta:input:historyUndo');
  });

  it.each(['ta', 'in'])(
    'does not count a paste of an empty clipboard in #%s (an input event that changes nothing)',
    async (id) => {
      // A fresh browser: nothing was copied yet. Chromium still fires `input` (insertFromPaste), the value unchanged.
      const fresh = await openDomPage();
      try {
        await fresh.page.evaluate((id) => {
          window.b24.keystrokes(document.getElementById(id)!).subscribe((e) => window.events.push(e.type));
        }, id);
        await fresh.page.focus(`#${id}`);
        await fresh.page.keyboard.press('Control+V');
        expect(await fresh.take()).toEqual([]);
        await fresh.page.keyboard.type('a'); // still counts what does change
        expect(await fresh.take()).toEqual(['input']);
      } finally {
        await fresh.close();
      }
    },
  );

  it.each(['ta', 'ce'])(
    'does not count Ctrl+Z in #%s that changes nothing (the app cleared the composer after a send)',
    async (id) => {
      const { page } = dom;
      await page.focus(`#${id}`);
      await page.keyboard.type('ab');
      await page.evaluate((id) => {
        // How an app empties its composer: no input event.
        const el = document.getElementById(id)!;
        if (el instanceof HTMLTextAreaElement) el.value = '';
        else el.textContent = '';
      }, id);
      await dom.take();
      // Chromium's undo stack still holds the typing the script wiped: it fires historyUndo, and the composer stays empty.
      await page.keyboard.press('Control+Z');
      expect(await dom.take()).toEqual([]);
      expect(await page.evaluate((id) => document.getElementById(id)!.innerHTML, id)).toBe('');
    },
  );

  it.each(['ta', 'ce'])(
    'counts an IME composition from its start in #%s after a Backspace in the empty box (a beforeinput with no input)',
    async (id) => {
      const { page } = dom;
      await page.focus(`#${id}`);
      await page.keyboard.press('Backspace');
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Input.imeSetComposition', { text: 'n', selectionStart: 1, selectionEnd: 1 });
      await cdp.send('Input.insertText', { text: 'ん' });
      await cdp.detach();
      expect(await dom.take()).toEqual([
        `${id}:compositionstart`,
        `${id}:compositionupdate`,
        `${id}:compositionupdate`,
        `${id}:compositionend`,
      ]);
    },
  );

  it("counts typing in a web component's field when bound on its host, with an open or a closed shadow root", async () => {
    const { page } = dom;
    await page.evaluate(() => {
      for (const mode of ['open', 'closed'] as const) {
        const host = document.body.appendChild(document.createElement('x-composer'));
        host.id = mode;
        host.attachShadow({ mode }).innerHTML = '<textarea></textarea>';
        window.b24.keystrokes(host).subscribe((e) => window.events.push(`${mode}:${e.type}`));
      }
    });
    for (const mode of ['open', 'closed']) {
      await page.click(`#${mode}`); // the click lands on the textarea inside
      await page.keyboard.type('a');
      await page.keyboard.press('Backspace');
      await page.keyboard.press('Control+Z');
    }
    await page.evaluate(() => {
      for (const mode of ['open', 'closed']) document.getElementById(mode)!.remove();
    });
    expect(await dom.take()).toEqual(
      ['open', 'closed'].flatMap((mode) => [`${mode}:input`, `${mode}:input`, `${mode}:input`]),
    );
  });

  it("compares a web component's host by its value property, when it has one: Ctrl+Z that changes nothing does not count", async () => {
    const { page } = dom;
    await page.evaluate(() => {
      // A form-associated style composer: its host mirrors the field in its shadow root as `value`.
      customElements.define(
        'x-valued',
        class extends HTMLElement {
          get value(): string {
            return this.shadowRoot!.querySelector('textarea')!.value;
          }
        },
      );
      const host = document.body.appendChild(document.createElement('x-valued'));
      host.id = 'valued';
      host.attachShadow({ mode: 'open' }).innerHTML = '<textarea></textarea>';
      window.b24.keystrokes(host).subscribe((e) => window.events.push(`valued:${e.type}`));
    });
    await page.click('#valued');
    await page.keyboard.type('ab');
    expect(await dom.take()).toEqual(['valued:input', 'valued:input']);
    // The app empties the field after a send (no input event); Chromium's undo stack still holds the typing.
    await page.evaluate(() => {
      document.getElementById('valued')!.shadowRoot!.querySelector('textarea')!.value = '';
    });
    await page.keyboard.press('Control+Z');
    const afterUndo = await dom.take();
    await page.keyboard.type('c'); // still counts what does change
    const afterTyping = await dom.take();
    await page.evaluate(() => document.getElementById('valued')!.remove());
    expect(afterUndo).toEqual([]);
    expect(afterTyping).toEqual(['valued:input']);
  });

  it("counts an input event a script dispatches, a plain Event('input') always (even right after a beforeinput)", async () => {
    const raw = await dom.page.evaluate(() => {
      const ta = document.getElementById('ta') as HTMLTextAreaElement;
      // A framework's synthetic change (the value set by a script, then its event), and a bare `Event('input')`.
      ta.value = 'x';
      ta.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: 'x' }));
      ta.dispatchEvent(new InputEvent('beforeinput', { bubbles: true, cancelable: true, inputType: 'insertText' }));
      ta.dispatchEvent(new Event('input', { bubbles: true }));
      return ta.value;
    });
    expect(raw).toBe('x');
    expect(await dom.take()).toEqual(['ta:input:insertText', 'ta:input']);
  });

  it('does not count an edit that leaves the value as it was: a character typed over the same one, a value the browser sanitizes', async () => {
    const { page } = dom;
    await page.evaluate(() => {
      document.body.insertAdjacentHTML('beforeend', '<input id="email" type="email"><input id="number" type="number">');
      for (const id of ['email', 'number']) {
        window.b24.keystrokes(document.getElementById(id)!).subscribe((e) => window.events.push(`${id}:${e.type}`));
      }
    });
    await page.focus('#ta');
    await page.keyboard.type('ab');
    await page.keyboard.press('Shift+ArrowLeft'); // "b" selected
    await dom.take();
    await page.keyboard.type('b'); // typed over itself
    const over = await dom.take();
    await page.focus('#email');
    await page.keyboard.type('a ');
    await page.focus('#number');
    await page.keyboard.type('-');
    const sanitized = await dom.take();
    const values = await page.evaluate(() =>
      ['email', 'number'].map((id) => {
        const el = document.getElementById(id) as HTMLInputElement;
        el.remove();
        return el.value;
      }),
    );
    expect(over).toEqual([]);
    // "a " is "a" to the email field, a lone "-" is "" to the number one: only the "a" changed anything.
    expect(sanitized).toEqual(['email:input']);
    expect(values).toEqual(['a', '']);
  });

  it('counts a drop of text dragged from another field', async () => {
    const { page } = dom;
    await page.fill('#in', 'dragme');
    await dom.take(); // fill() is typing too
    await page.evaluate(() => (document.getElementById('in') as HTMLInputElement).select());
    const from = (await page.locator('#in').boundingBox())!;
    const to = (await page.locator('#ce').boundingBox())!;
    await page.mouse.move(from.x + 10, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + 5, to.y + to.height / 2, { steps: 5 });
    await page.mouse.up();
    expect(await page.textContent('#ce')).toBe('dragme');
    const events = await dom.take();
    expect(events).toContain('ce:input:insertFromDrop');
    expect(events).toContain('in:input:deleteByDrag');
  });

  it('counts an IME composition by its composition events, not again by its input events', async () => {
    const { page } = dom;
    await page.focus('#ta');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
    await cdp.send('Input.imeSetComposition', { text: 'nih', selectionStart: 3, selectionEnd: 3 });
    await cdp.send('Input.insertText', { text: '你好' });
    await cdp.detach();
    expect(await dom.take()).toEqual([
      'ta:compositionstart',
      'ta:compositionupdate',
      'ta:compositionupdate',
      'ta:compositionupdate',
      'ta:compositionend',
    ]);
    expect(await page.inputValue('#ta')).toBe('你好');
  });

  it.each(['ta', 'ce'])(
    'keeps counting in #%s after a script ends a composition without compositionend',
    async (id) => {
      const { page } = dom;
      await page.focus(`#${id}`);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Input.imeSetComposition', { text: 'ni', selectionStart: 2, selectionEnd: 2 });
      // An app clearing or restoring the composer mid-composition: Chromium drops the composition, no compositionend.
      await page.evaluate((id) => {
        const el = document.getElementById(id)!;
        if (el instanceof HTMLTextAreaElement) el.value = '';
        else el.textContent = '';
      }, id);
      await page.keyboard.type('ok');
      await cdp.detach();
      expect(await dom.take()).toEqual([
        `${id}:compositionstart`,
        `${id}:compositionupdate`,
        `${id}:input:insertText`,
        `${id}:input:insertText`,
      ]);
    },
  );

  it("skips Safari's and Firefox's composition input that comes after compositionend", async () => {
    await dom.page.evaluate(() => {
      const ta = document.getElementById('ta')!;
      for (const inputType of ['insertFromComposition', 'deleteByComposition', 'insertCompositionText']) {
        // Chromium's InputEvent constructor blanks input types it never fires itself, so set it on the event.
        const event = new InputEvent('input', { isComposing: false });
        Object.defineProperty(event, 'inputType', { value: inputType });
        ta.dispatchEvent(event);
      }
      (ta as HTMLTextAreaElement).value = 'the'; // spellcheck, autocorrect: the value changed, then its input event
      ta.dispatchEvent(new InputEvent('input', { inputType: 'insertReplacementText' }));
    });
    expect(await dom.take()).toEqual(['ta:input:insertReplacementText']);
  });

  it('skips an input event fired while composing whatever its input type (the composition events count it)', async () => {
    await dom.page.evaluate(() => {
      const ta = document.getElementById('ta')!;
      for (const inputType of ['insertText', 'deleteContentBackward', '']) {
        ta.dispatchEvent(new InputEvent('input', { isComposing: true, inputType }));
      }
      (ta as HTMLTextAreaElement).value = 'a'; // a change (one that changes nothing does not count)
      ta.dispatchEvent(new InputEvent('input', { isComposing: false, inputType: 'insertText' }));
    });
    expect(await dom.take()).toEqual(['ta:input:insertText']);
  });

  it('counts a cancelled composition (no final text) and what is typed after it', async () => {
    const { page } = dom;
    await page.focus('#ce');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ka', selectionStart: 2, selectionEnd: 2 });
    await cdp.send('Input.imeSetComposition', { text: '', selectionStart: 0, selectionEnd: 0 }); // Escape in the IME
    await cdp.detach();
    await page.keyboard.type('a');
    expect(await dom.take()).toEqual([
      'ce:compositionstart',
      'ce:compositionupdate',
      'ce:compositionupdate',
      'ce:compositionend',
      'ce:input:insertText',
    ]);
    expect(await page.textContent('#ce')).toBe('a');
  });

  it.each(['ta', 'ce'])('counts undo and redo in #%s', async (id) => {
    const { page } = dom;
    await page.focus(`#${id}`);
    await page.keyboard.type('a');
    await dom.take();
    await page.keyboard.press('Control+Z');
    await page.keyboard.press('Control+Shift+Z');
    expect(await dom.take()).toEqual([`${id}:input:historyUndo`, `${id}:input:historyRedo`]);
  });

  it.each(['ta', 'in', 'ce'])(
    "counts in #%s an edit by a script's execCommand (a toolbar's undo, an emoji picker), which has no beforeinput",
    async (id) => {
      const { page } = dom;
      await page.focus(`#${id}`);
      await page.keyboard.type('ab');
      await page.keyboard.press('Backspace');
      await dom.take();
      const raw = await page.evaluate((id) => {
        const el = document.getElementById(id)!;
        const seen: string[] = [];
        const log = (e: Event) => seen.push(`${e.type}:${(e as InputEvent).inputType}`);
        el.addEventListener('beforeinput', log);
        el.addEventListener('input', log);
        document.execCommand('undo'); // back to "ab": the content the Backspace's beforeinput saw
        document.execCommand('insertText', false, 'c');
        document.execCommand('delete');
        el.removeEventListener('beforeinput', log);
        el.removeEventListener('input', log);
        return seen;
      }, id);
      // Chromium fires no beforeinput for an execCommand, only its input.
      expect(raw).toEqual(['input:historyUndo', 'input:insertText', 'input:deleteContentBackward']);
      expect(await dom.take()).toEqual([
        `${id}:input:historyUndo`,
        `${id}:input:insertText`,
        `${id}:input:deleteContentBackward`,
      ]);
    },
  );

  it('counts formatting that changes a contenteditable (Ctrl+B on a selection), not Ctrl+B at a caret', async () => {
    const { page } = dom;
    await page.focus('#ce');
    await page.keyboard.type('ab');
    await page.keyboard.press('End');
    await dom.take();
    await page.keyboard.press('Control+B'); // only the style of what comes next: no input event, nothing changed
    expect(await dom.take()).toEqual([]);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+B');
    expect(await dom.take()).toEqual(['ce:input:formatBold']);
    expect(await page.innerHTML('#ce')).toBe('<b>ab</b>');
  });

  it('counts text dragged within the field (its deletion and its drop)', async () => {
    const { page } = dom;
    await page.fill('#ta', 'hello world');
    await page.evaluate(() => (document.getElementById('ta') as HTMLTextAreaElement).setSelectionRange(0, 5));
    await dom.take();
    const box = (await page.locator('#ta').boundingBox())!;
    await page.mouse.move(box.x + 8, box.y + 8);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 10, box.y + 8, { steps: 5 });
    await page.mouse.up();
    expect(await page.inputValue('#ta')).toBe(' worldhello');
    expect(await dom.take()).toEqual(['ta:input:deleteByDrag', 'ta:input:insertFromDrop']);
  });

  it('removes its listeners on unsubscribe', async () => {
    const counts = await dom.page.evaluate(() => {
      const ta = document.getElementById('ta') as HTMLTextAreaElement;
      const seen: Event[] = [];
      const sub = window.b24.keystrokes(ta).subscribe((e) => seen.push(e));
      ta.focus();
      document.execCommand('insertText', false, 'a');
      const during = seen.length;
      sub.unsubscribe();
      document.execCommand('insertText', false, 'b');
      return { during, after: seen.length };
    });
    expect(counts).toEqual({ during: 1, after: 1 });
  });
});

describe('keystrokes input checks', () => {
  it.each([{}, null, undefined, '#composer', 5])(
    'rejects %j with a typed input error, without needing a DOM',
    (element) => {
      expect(() => keystrokes(element as HTMLElement)).toThrow(
        expect.objectContaining({ name: 'B24InputError', kind: 'input', field: 'element' }),
      );
    },
  );
});
