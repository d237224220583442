/**
 * Retry schedule of webhook deliveries: the delay before each retry, ms. A delivery gets
 * `schedule.length + 1` attempts, then is dead-lettered. The default waits 1 min, 5 min, 30 min, 2 h, 5 h,
 * 10 h and 10 h (≈ 27.6 h in all) before giving up: over 24 h, as a receiver's day-long outage needs.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Total time a delivery is retried for under a schedule, ms. */
export const scheduleSpanMs = (schedule: readonly number[]): number => schedule.reduce((a, b) => a + b, 0);

/**
 * The delay before retry number `failedAttempts` (1 after the first failure): the schedule's step with
 * ±20 % jitter (so endpoints' retries spread out), or undefined once the schedule is exhausted.
 */
export function retryDelayMs(schedule: readonly number[], failedAttempts: number, random: () => number = Math.random): number | undefined {
  const step = schedule[failedAttempts - 1];
  if (step === undefined) return undefined;
  return Math.max(0, Math.round(step * (0.8 + 0.4 * random())));
}

/** Parses WEBHOOKS_RETRY_SCHEDULE: comma-separated delays in ms (e.g. "100,200,400"). */
export function parseRetrySchedule(text: string): number[] {
  const steps = text.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`WEBHOOKS_RETRY_SCHEDULE: comma-separated non-negative integers (ms), got "${text}"`);
  return steps;
}
