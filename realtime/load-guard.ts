import { monitorEventLoopDelay } from "node:perf_hooks";
import { AppError, ErrorCode } from "../core/errors";

/**
 * Admission control for fan-out: a node past its capacity that keeps accepting messages only queues
 * writes it cannot send (memory, GC, every delivery late), and its throughput collapses. The guard reads
 * the event loop's delay each second; while its p99 is above `maxLagMs`, `admit()` throws 5005
 * (temporary: the client retries after a backoff) so the node keeps delivering what it accepted.
 * Off when `maxLagMs` is 0.
 */
export class LoadGuard {
  private overloaded = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });

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

  /** The last window's p99 event-loop delay, ms. */
  lagMs = 0;

  private sample(): void {
    this.lagMs = this.histogram.percentile(99) / 1e6;
    this.histogram.reset();
    const overloaded = this.lagMs > this.maxLagMs;
    if (overloaded !== this.overloaded) this.onChange((this.overloaded = overloaded));
  }

  admit(): void {
    if (this.overloaded) throw new AppError(ErrorCode.Overloaded, `this node is over capacity (event loop ${Math.round(this.lagMs)} ms behind): retry shortly`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
