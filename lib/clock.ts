/**
 * "Now", for every handler and the job. On AWS it is the wall clock, with no read. On the local
 * stack a simulated clock may be set (SPEC §6): it runs at the wall clock's pace from an offset
 * kept in the table (lib/emulator/state.ts), so that every function of the stack, in-process or in
 * worker threads, shares it. The request pipeline and the job copy that offset here at the start
 * of each run (lib/emulator/pipeline.ts), so reading the time stays synchronous.
 */
let offsetMs = 0;

export const clock = {
  nowMs: (): number => Date.now() + offsetMs,
  get offsetMs(): number {
    return offsetMs;
  },
  setOffset(ms: number): void {
    offsetMs = ms;
  },
};
