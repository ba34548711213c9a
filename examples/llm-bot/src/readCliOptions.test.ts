import { B24InputError } from '@b24-typing/core';
import { describe, expect, it } from 'vitest';
import { readCliOptions } from './readCliOptions';

/** The error `readCliOptions` throws for these flags and variables (none when it reads them). */
const refusal = (args: string[], env: Record<string, string> = {}) => {
  try {
    readCliOptions(args, env);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("readCliOptions (the CLI's flags and variables)", () => {
  it('reads the defaults: fetch mode on the embedded emulator at 8024, its demo bot token', () => {
    expect(readCliOptions([], {})).toEqual({
      mode: 'fetch',
      emulatorPort: 8024,
      botToken: 'llm-bot-demo-token',
    });
    expect(
      readCliOptions(['--', '--events', 'webhook', '--webhook-port', '0', '--public-url', 'https://t.example/e'], {
        B24_WEBHOOK_URL: ' https://portal.example/rest/1/code/ ',
        B24_BOT_TOKEN: 'mine',
        B24_APPLICATION_TOKEN: 'app',
      }),
    ).toEqual({
      mode: 'webhook',
      emulatorPort: 8024,
      webhookPort: 0,
      publicUrl: 'https://t.example/e',
      portalUrl: 'https://portal.example/rest/1/code/',
      botToken: 'mine',
      applicationToken: 'app',
    });
    expect(readCliOptions(['-h'], {})).toBe('help');
    // plain http to this machine: an emulator already running (the README's example)
    expect(
      readCliOptions([], { B24_WEBHOOK_URL: 'http://127.0.0.1:8024/rest/1/emulatorwebhook1/', B24_BOT_TOKEN: 'mine' }),
    ).toMatchObject({ portalUrl: 'http://127.0.0.1:8024/rest/1/emulatorwebhook1/' });
  });

  it('refuses a B24_WEBHOOK_URL the transport would refuse with B24InputError naming it, the code not echoed, no option the CLI has not', () => {
    // before: accepted here; createWebhookTransport refused it later with "Invalid url: … (or pass allowInsecure:
    // true)", naming neither the variable nor anything the CLI lets the user set
    for (const url of [
      'http://portal.example/rest/1/s3cr3t/',
      'https://portal.example/s3cr3t/',
      'https://portal.example/rest/1/s3cr3t/?x=1',
      'https://user:s3cr3t@portal.example/rest/1/code/',
      'ftp://portal.example/rest/1/s3cr3t/',
      'portal.example/rest/1/s3cr3t/',
      'https://portal.example/rest/1/s3cr3t%zz/',
    ]) {
      const error = refusal([], { B24_WEBHOOK_URL: url, B24_BOT_TOKEN: 'mine' });
      expect(error, url).toBeInstanceOf(B24InputError);
      expect(error, url).toMatchObject({ field: 'B24_WEBHOOK_URL' });
      expect(String(error)).not.toMatch(/s3cr3t|allowInsecure/);
    }
  });

  it('refuses a flag of the other event mode with B24InputError naming the flag and its mode, rather than ignoring it', () => {
    // before: each was checked, then ignored: the bot started in the other mode, the flag silently without effect
    const cases: [args: string[], field: string, mode: string][] = [
      [['--public-url', 'https://t.example/e'], '--public-url', 'webhook'],
      [['--events', 'fetch', '--webhook-port', '8080'], '--webhook-port', 'webhook'],
      [['--events', 'webhook', '--poll-ms', '200'], '--poll-ms', 'fetch'],
    ];
    for (const [args, field, mode] of cases) {
      const error = refusal(args);
      expect(error, args.join(' ')).toBeInstanceOf(B24InputError);
      expect(error).toMatchObject({ field });
      expect(String(error)).toContain(`--events ${mode}`);
    }
    expect(readCliOptions(['--poll-ms', '200'], {})).toMatchObject({ mode: 'fetch', pollMs: 200 });
  });

  it('refuses every bad flag or variable with B24InputError naming it, echoing no value that may be a secret', () => {
    const cases: [args: string[], env: Record<string, string>, field: string][] = [
      [['--bogus'], {}, '--bogus'],
      [['-x'], {}, '-x'],
      [['--events'], {}, '--events'],
      [['--help=yes'], {}, '--help'],
      [['https://portal.example/rest/1/s3cr3t/'], {}, 'arguments'],
      [['--events', 'pigeon'], {}, '--events'],
      [['--poll-ms', '1e12'], {}, '--poll-ms'],
      [['--poll-ms', '-1'], {}, '--poll-ms'],
      [['--poll-ms', 'https://portal.example/rest/1/s3cr3t/'], {}, '--poll-ms'],
      [['--events', 'https://portal.example/rest/1/s3cr3t/'], {}, '--events'],
      [['--webhook-port', 'abc'], {}, '--webhook-port'], // fetch mode: still a typo to point out
      [['--emulator-port', '70000'], {}, '--emulator-port'],
      [['--emulator-port', ''], {}, '--emulator-port'],
      [['--events', 'webhook', '--public-url', 'not-a-url'], {}, '--public-url'],
      [['--events', 'webhook', '--public-url', ''], {}, '--public-url'],
      [[], { B24_WEBHOOK_URL: 'https://portal.example/rest/1/s3cr3t/' }, 'B24_BOT_TOKEN'],
      [[], { B24_BOT_TOKEN: `s3cr3t${'t'.repeat(40)}` }, 'B24_BOT_TOKEN'],
      [
        ['--events', 'webhook'],
        { B24_WEBHOOK_URL: 'https://portal.example/rest/1/s3cr3t/', B24_BOT_TOKEN: 'mine' },
        'B24_APPLICATION_TOKEN',
      ],
    ];
    for (const [args, env, field] of cases) {
      const error = refusal(args, env);
      expect(error, `${args.join(' ')} ${JSON.stringify(env)}`).toBeInstanceOf(B24InputError);
      expect(error).toMatchObject({ field });
      expect(String(error)).not.toMatch(/s3cr3t/);
    }
    expect(String(refusal(['--events', 'pigeon']))).toMatch(
      /Invalid --events: must be fetch or webhook \(got "pigeon"\)/,
    );
  });
});
