import type { BatchItemResult, DialogId, Transport } from '@b24-typing/core';
import type { Observable } from 'rxjs';
import { expectTypeOf, test } from 'vitest';
import {
  type BotEvent,
  botEvents,
  createOAuthTransport,
  createWebhookTransport,
  type NodeTransport,
  type OAuthTokens,
  parseBotEvent,
  type StoredTokens,
} from './index';

test('both transports are core Transports with batch and close', () => {
  expectTypeOf(createWebhookTransport).returns.toEqualTypeOf<NodeTransport>();
  expectTypeOf(createOAuthTransport).returns.toEqualTypeOf<NodeTransport>();
  expectTypeOf<NodeTransport>().toExtend<Transport>();
  expectTypeOf<NodeTransport['batch']>().returns.toEqualTypeOf<Promise<readonly BatchItemResult[]>>();
  expectTypeOf<NodeTransport['close']>().returns.toEqualTypeOf<Promise<void>>();
  expectTypeOf(createOAuthTransport)
    .parameter(0)
    .toHaveProperty('onTokens')
    .toEqualTypeOf<((tokens: OAuthTokens) => void | Promise<void>) | undefined>();
  // A saved OAuthTokens is a StoredTokens: loadTokens may hand back what onTokens saved.
  expectTypeOf(createOAuthTransport)
    .parameter(0)
    .toHaveProperty('loadTokens')
    .toEqualTypeOf<(() => StoredTokens | undefined | Promise<StoredTokens | undefined>) | undefined>();
  expectTypeOf<OAuthTokens>().toExtend<StoredTokens>();
  expectTypeOf(createWebhookTransport)
    .parameter(1)
    .exclude<undefined>()
    .toHaveProperty('timeoutMs')
    .toEqualTypeOf<number | undefined>();
  expectTypeOf(createOAuthTransport).parameter(0).toHaveProperty('timeoutMs').toEqualTypeOf<number | undefined>();
});

test('bot events narrow on type', () => {
  expectTypeOf(botEvents).returns.toEqualTypeOf<Observable<BotEvent>>();
  expectTypeOf(parseBotEvent).returns.toEqualTypeOf<BotEvent>();
  const event = {} as BotEvent;
  if (event.type === 'ONIMBOTV2MESSAGEADD') {
    expectTypeOf(event.data.message.id).toEqualTypeOf<number>();
    expectTypeOf(event.data.chat.dialogId).toEqualTypeOf<DialogId>();
  }
  if (event.type === 'ONIMBOTMESSAGEADD') expectTypeOf(event.data.PARAMS.DIALOG_ID).toEqualTypeOf<DialogId>();
  if (event.type === 'other') expectTypeOf(event.eventType).toEqualTypeOf<string>();
  // @ts-expect-error botId is required
  botEvents(createWebhookTransport('https://x/rest/1/c/'), {});
});
