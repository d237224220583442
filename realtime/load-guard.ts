import { monitorEventLoopDelay, performance, type EventLoopUtilization } from "node:perf_hooks";
import { AppError, ErrorCode } from "../core/errors";

/**
 * Admission control for fan-out: a node past its capacity that keeps accepting messages only queues
 * writes it cannot send (memory, GC, every delivery late), and its throughput collapses. The guard reads
 * the event loop each second; while it is both behind (p99 delay above `maxLagMs`) and busy (utilization
 * ≥ `BUSY`), `admit()` throws 5005 (temporary: the client retries after a backoff) so the node keeps
 * delivering what it accepted. Delay alone is not enough: on the ws engine one broadcast to a 10k room
 * blocks the loop for ~100 ms while the node is far from full. Off when `maxLagMs` is 0.
 */
const BUSY = 0.9;

export class LoadGuard {
  private overloaded = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private utilization: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly maxLagMs: number,
    private readonly onChange: (overloaded: boolean) => void = () => undefined,
    windowMs = 1_000,
  ) {
    if (maxLagMs <= 0) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), windowMs);
    this.timer.unref();
  }

  /** The last window's p99 event-loop delay, ms, and the share of it the loop was busy (0–1). */
  lagMs = 0;
  busy = 0;

  private sample(): void {
    this.lagMs = this.histogram.percentile(99) / 1e6;
    this.histogram.reset();
    const now = performance.eventLoopUtilization();
    this.busy = performance.eventLoopUtilization(now, this.utilization).utilization;
    this.utilization = now;
    const overloaded = this.lagMs > this.maxLagMs && this.busy >= BUSY;
    if (overloaded !== this.overloaded) this.onChange((this.overloaded = overloaded));
  }

  admit(): void {
    if (this.overloaded) throw new AppError(ErrorCode.Overloaded, `this node is over capacity (event loop ${Math.round(this.busy * 100)} % busy, ${Math.round(this.lagMs)} ms behind): retry shortly`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
