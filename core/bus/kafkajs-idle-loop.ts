import { createRequire } from "node:module";

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own interval for re-checking a queue that has requests waiting (src/network/requestQueue). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
let installed = false;

/**
 * kafkajs 2.2.4 re-arms a connection's pending-request check even when nothing is pending, with a negative
 * delay (Node runs it after 1 ms): every broker connection of an idle process wakes the event loop ~1,000
 * times a second, forever (tulios/kafkajs#1556, #1604, #1704; fix proposed in #1667, not released). On an
 * idle realtime node that was most of its idle CPU (~800 context switches a second with 10 sockets). This
 * replaces the method with the fixed one: a check is scheduled only while requests are pending (when the
 * queue is throttled, at the throttle's end), which is when kafkajs needs it — a request queued later
 * schedules its own check (`push`), and a fulfilled request checks the queue itself. Idempotent.
 */
export function stopKafkajsIdleLoop(): void {
  if (installed) return;
  installed = true;
  const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilThrottleEnds = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilThrottleEnds > 0 ? untilThrottleEnds : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
}
