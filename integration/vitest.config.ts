import { packageTestConfig } from '../vitest.shared.ts';

// One file at a time: the transport parity test waits on the transports' real timeouts (its hanging-portal rows),
// which the packed test's installs and child processes should not eat into on a small CI machine.
export default packageTestConfig({ fileParallelism: false });
