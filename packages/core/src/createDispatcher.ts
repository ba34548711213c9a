import type { SchedulerLike } from 'rxjs';
import { createScheduler, type Scheduler, type SchedulerOptions } from './createScheduler';
import type { LimitsOption } from './LeakyBucket';
import type { Transport } from './Transport';

/** A plan name or the portal's explicit leaky-bucket numbers. */
export type RateLimits = LimitsOption;

export interface DispatcherOptions {
  readonly transport: Transport;
  readonly clock: SchedulerLike;
  readonly limits?: RateLimits;
  /** See `SchedulerOptions.onLanded`. */
  readonly onLanded?: SchedulerOptions['onLanded'];
  /** See `SchedulerOptions.lapseOf`. */
  readonly lapseOf?: SchedulerOptions['lapseOf'];
  /** See `SchedulerOptions.goesOn`. */
  readonly goesOn?: SchedulerOptions['goesOn'];
}

/**
 * The one place createIndicators gets its dispatcher from: the per-portal scheduler, so that every indicator of
 * one `createIndicators` shares the portal's rate budget, its batches and its single timer.
 */
export function createDispatcher(options: DispatcherOptions): Scheduler {
  return createScheduler(options);
}
