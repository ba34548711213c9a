import { describe, expect, it } from 'vitest';
import { keptText } from './keptText';

describe('keptText', () => {
  it('keeps a text of up to 20,006 characters whole', () => {
    expect(keptText('hello')).toBe('hello');
    expect(keptText('a'.repeat(20_006))).toBe('a'.repeat(20_006));
  });

  it('cuts a longer one to 20,000 characters and " (...)", counting an emoji as one', () => {
    expect(keptText('a'.repeat(20_007))).toBe(`${'a'.repeat(20_000)} (...)`);
    expect(keptText('😀'.repeat(20_007))).toBe(`${'😀'.repeat(20_000)} (...)`);
    expect(keptText('😀'.repeat(20_006))).toBe('😀'.repeat(20_006));
  });

  it('turns [BR], [br] and #BR# into new lines, then trims as PHP does, before it counts', () => {
    expect(keptText('see you[BR]tomorrow[br]at 5#BR#ok')).toBe('see you\ntomorrow\nat 5\nok');
    expect(keptText('hi[BR][BR]')).toBe('hi');
    expect(keptText(`${'a'.repeat(20_006)}[BR][BR]`)).toBe('a'.repeat(20_006));
    // PHP's trim keeps a no-break space (JavaScript's would not).
    expect(keptText('\u00a0hi\u00a0')).toBe('\u00a0hi\u00a0');
  });
});
