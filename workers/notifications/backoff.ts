/** The retry schedule of outbound deliveries (docs/NOTIFICATIONS.md). */
export interface RetrySchedule {
  /** Attempts in all before a delivery is dead-lettered. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the attempt after `failed` failures: exponential (base × 2^(failed−1), at most max) with
 * jitter — a random 50–100 % of it, so deliveries failing together do not retry together.
 */
export function retryDelayMs(schedule: RetrySchedule, failed: number, random: () => number = Math.random): number {
  const exp = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, Math.min(30, failed - 1)));
  return Math.round(exp * (0.5 + random() * 0.5));
}
