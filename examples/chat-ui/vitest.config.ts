import { packageTestConfig } from '../../vitest.shared';

// The E2E files drive real Chromium against real servers and take real time (one types for 60 s), so the
// two files run side by side: they mostly wait, and the suite stays near the length of the longest. The app
// is built once for both (test/buildOnce.ts).
export default packageTestConfig({
  globalSetup: ['test/buildOnce.ts'],
  testTimeout: 120_000,
  hookTimeout: 60_000,
  maxWorkers: 2,
  fileParallelism: true,
});
