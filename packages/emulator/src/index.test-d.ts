import { expectTypeOf, it } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator, type TimelineEntry } from './index';

it('startEmulator resolves to an Emulator; options are all optional', () => {
  expectTypeOf(startEmulator).parameter(0).toEqualTypeOf<EmulatorOptions | undefined>();
  expectTypeOf(startEmulator).returns.toEqualTypeOf<Promise<Emulator>>();
  expectTypeOf<EmulatorOptions['plan']>().toEqualTypeOf<
    'standard' | 'enterprise' | 'off' | { perSecond: number; burst: number } | undefined
  >();
});

it('timeline entries are discriminated by kind', () => {
  const narrow = (entry: TimelineEntry) => {
    if (entry.kind === 'hide') expectTypeOf(entry.cause).toEqualTypeOf<'expired' | 'replaced' | 'message' | 'edit'>();
    if (entry.kind === 'call') expectTypeOf(entry.status).toBeNumber();
  };
  expectTypeOf(narrow).toBeFunction();
});
