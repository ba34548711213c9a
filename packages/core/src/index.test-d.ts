import { type MonoTypeOperatorFunction, type Observable, of, type SchedulerLike } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AgentStatus,
  type B24Error,
  type BotStatusOptions,
  createIndicators,
  type DialogId,
  type ErrorKind,
  type IndicatorEvent,
  type Indicators,
  type IndicatorStats,
  type StatusSignal,
  statusSignals,
  type Transport,
  type TypingSignal,
  typingSignals,
  type UserTypingOptions,
  withStatus,
} from './index';

declare const transport: Transport;
declare const indicators: Indicators;

describe('public signatures', () => {
  it('createIndicators takes a transport and optional limits, clock and onEvent', () => {
    expectTypeOf(createIndicators).returns.toEqualTypeOf<Indicators>();
    expectTypeOf(createIndicators).toBeCallableWith({ transport });
    expectTypeOf(createIndicators).toBeCallableWith({
      transport,
      limits: 'enterprise',
      onEvent: (e: IndicatorEvent) => void e,
    });
    expectTypeOf(createIndicators).toBeCallableWith({ transport, limits: { perSecond: 2, burst: 50 } });
    expectTypeOf<Parameters<typeof createIndicators>[0]['clock']>().toEqualTypeOf<SchedulerLike | undefined>();
  });

  it('userTyping and botStatus return event streams', () => {
    expectTypeOf(indicators.userTyping).returns.toEqualTypeOf<Observable<IndicatorEvent>>();
    expectTypeOf(indicators.botStatus).returns.toEqualTypeOf<Observable<IndicatorEvent>>();
    expectTypeOf(indicators.userTyping).toBeCallableWith({ dialogId: 'chat1', keystrokes: of(1) });
    expectTypeOf(indicators.userTyping).toBeCallableWith({ dialogId: 5, keystrokes: of(1), sent: of(null) });
    expectTypeOf(indicators.botStatus).toBeCallableWith({ dialogId: 'sg2', botId: 7, status: 'thinking' });
    expectTypeOf(indicators.botStatus).toBeCallableWith({
      dialogId: '5',
      botId: '7',
      botToken: 'token',
      status: of('searching' as const, 'composing' as const),
      until: of('reply'),
      leaseSec: 60,
      legacy: false,
    });
    expectTypeOf<UserTypingOptions['dialogId']>().toEqualTypeOf<DialogId | number>();
    expectTypeOf<BotStatusOptions['status']>().toEqualTypeOf<AgentStatus | Observable<AgentStatus>>();
    expectTypeOf(indicators.stats).returns.toEqualTypeOf<IndicatorStats>();
    expectTypeOf(indicators.dispose).returns.toBeVoid();
  });

  it('withStatus is a MonoTypeOperatorFunction that keeps the reply type', () => {
    const reply = of('text').pipe(withStatus(indicators, { dialogId: 'chat1', botId: 1, status: 'composing' }));
    expectTypeOf(reply).toEqualTypeOf<Observable<string>>();
    expectTypeOf(withStatus<number>).returns.toEqualTypeOf<MonoTypeOperatorFunction<number>>();
  });

  it('timing streams are exported with their signal types', () => {
    expectTypeOf(typingSignals).returns.toEqualTypeOf<Observable<TypingSignal>>();
    expectTypeOf(statusSignals).returns.toEqualTypeOf<Observable<StatusSignal>>();
    expectTypeOf<TypingSignal['type']>().toEqualTypeOf<'start' | 'renew' | 'stop'>();
    expectTypeOf<StatusSignal['type']>().toEqualTypeOf<'start' | 'change' | 'renew' | 'clear'>();
  });

  it('events are a discriminated union; a failed one carries a B24Error, a dropped one may', () => {
    expectTypeOf<IndicatorEvent['type']>().toEqualTypeOf<'sent' | 'renewed' | 'dropped' | 'failed' | 'stopped'>();
    expectTypeOf<Extract<IndicatorEvent, { type: 'failed' }>['error']>().toEqualTypeOf<B24Error>();
    expectTypeOf<Extract<IndicatorEvent, { type: 'dropped' }>['error']>().toEqualTypeOf<B24Error | undefined>();
    expectTypeOf<B24Error['kind']>().toEqualTypeOf<ErrorKind>();
    expectTypeOf<IndicatorEvent['at']>().toBeNumber();
  });

  it('rejects bad options at compile time', () => {
    // @ts-expect-error: not a dialog id
    indicators.userTyping({ dialogId: 'general', keystrokes: of(1) });
    // @ts-expect-error: not an agent status
    indicators.botStatus({ dialogId: 'chat1', botId: 1, status: 'sleeping' });
    // @ts-expect-error: botId is required
    indicators.botStatus({ dialogId: 'chat1', status: 'typing' });
    // @ts-expect-error: a transport is required
    createIndicators({});
  });
});
