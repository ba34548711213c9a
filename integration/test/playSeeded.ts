import { vi } from 'vitest';
import { prng } from '@b24-typing/test-utils';

/**
 * Plays one end-to-end scenario with `Math.random` seeded (core reads it at call time for jitter, so a failing
 * scenario replays exactly) and the unhandled rejections it causes collected for `play` to judge.
 */
export async function playSeeded<T>(seed: number, play: (rejections: unknown[]) => Promise<T>): Promise<T> {
  const random = vi.spyOn(Math, 'random').mockImplementation(prng(seed));
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    return await play(rejections);
  } finally {
    process.off('unhandledRejection', onRejection);
    random.mockRestore();
  }
}
