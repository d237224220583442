/**
 * How long a stopping process waits for its parts to close after the drain: past it, it exits anyway. A
 * close can hang on a part that never answers: a worker's Kafka consumer, after a broker was killed and
 * restarted and PostgreSQL was stopped, kept its connections to that broker open for minutes after SIGTERM
 * (chaos run of 2026-12-01 03:49), and the process never exited.
 */
export const CLOSE_DEADLINE_MS = 15_000;

/** How a shutdown's close ended; the process exits 0 only on "closed". */
export type CloseOutcome = { closed: true } | { closed: false; reason: "timed out" | "failed"; err?: unknown };

/** Runs `close`, resolving within `deadlineMs` whatever it does (a hang or a failure is an outcome, not a throw). */
export function closeWithin(close: () => Promise<void>, deadlineMs = CLOSE_DEADLINE_MS): Promise<CloseOutcome> {
  return new Promise<CloseOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ closed: false, reason: "timed out" }), deadlineMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        resolve({ closed: true });
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve({ closed: false, reason: "failed", err });
      },
    );
  });
}
