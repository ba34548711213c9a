import { packageTestConfig } from '../../vitest.shared.ts';

// The E2E files drive real Chromium against real servers and take real time (one types for 60 s). They run one
// after the other: the leading-edge test measures a request's arrival within 100 ms of a key, which a second
// Chromium typing on the same two cores would blur. The app is built once for both (test/buildOnce.ts).
export default packageTestConfig({
  globalSetup: ['test/buildOnce.ts'],
  testTimeout: 120_000,
  hookTimeout: 60_000,
  fileParallelism: false,
});
