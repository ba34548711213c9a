import { packageTestConfig } from '../vitest.shared';

// One file at a time: the scheduler test holds real-time margins, which the packed test's installs and child
// processes should not eat into on a small CI machine.
export default packageTestConfig({ fileParallelism: false });
