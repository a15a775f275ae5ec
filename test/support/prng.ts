export { type Prng, prng } from '../../bench/prng';

/** Seeds for the race tests: RACE_SEEDS=1,2,3 replays given ones; otherwise fresh random ones. */
export function raceSeeds(count: number): number[] {
  const given = process.env.RACE_SEEDS;
  if (given) return given.split(',').map((s) => Number(s.trim()));
  return Array.from({ length: count }, () => Math.floor(Math.random() * 2 ** 31));
}
