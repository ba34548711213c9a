import { packageTestConfig } from '../../vitest.shared.ts';

// `--expose-gc`: the tests that a long-running bot's ended statuses release everything they held collect garbage
// (`global.gc`) before checking, through a FinalizationRegistry, that nothing holds them any more.
export default packageTestConfig({ execArgv: ['--expose-gc'] });
