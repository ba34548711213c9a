import type { SchedulerLike } from 'rxjs';
import { createDirectDispatcher } from './createDirectDispatcher';
import type { Dispatcher } from './Dispatcher';
import type { Transport } from './Transport';

export type RateLimits = 'standard' | 'enterprise' | { readonly perSecond: number; readonly burst: number };

export interface DispatcherOptions {
  readonly transport: Transport;
  readonly clock: SchedulerLike;
  readonly limits?: RateLimits;
}

/** The one place createIndicators gets its dispatcher from; the scheduler issue swaps what it returns. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return createDirectDispatcher(options);
}
