/**
 * The simulated clock's tests again, on a stack in worker-thread mode (`npm run dev`): there each
 * function runs in worker threads of its own, with its own module state, so the clock must come
 * from the state every function reads (the table), not from anything one handler holds.
 */
import { describe } from 'vitest';
import { clockTests } from '../support/clock-tests';
import { useOwnStack } from '../support/own-stack';

const own = useOwnStack('emulatorw', { LOG_LEVEL: 'warn' }, { hotReload: true });

describe('the simulated clock (worker threads, hot reload)', () => {
  clockTests(own);
});
