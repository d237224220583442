import { monitorEventLoopDelay, performance, type EventLoopUtilization } from "node:perf_hooks";
import { ErrorCode, refusal } from "../core/errors";

/**
 * Admission control for fan-out: a node past its capacity that keeps accepting messages only queues
 * writes it cannot send (memory, GC, every delivery late), and its throughput collapses. The guard reads
 * the event loop each second: a second in which it was both behind (p99 delay above `maxLagMs`) and busy
 * (utilization ≥ `BUSY`) halves the share of messages it admits; a second that was not gives back a
 * quarter (AIMD, as TCP does with its window). Refused messages get 5005 (temporary: the client retries
 * after a backoff), so the node keeps delivering what it accepted instead of flapping between admitting
 * everything and nothing. Admission is deterministic (a credit per call), not random. Delay alone is not
 * enough: on the ws engine one broadcast to a 10k room blocks the loop ~100 ms while the node is far
 * from full. Only message traffic can saturate it: a window counts as saturated only when messages were
 * offered in the last TRAFFIC_WINDOW_MS, so work that is not messages (start-up, migrations, JIT, a
 * restart's reconnect storm) never turns the first message away. Nor does a connect storm turn messages
 * away while they flow: a window in which the node accepted at least STORM_CONNECTS_PER_SECOND connections
 * (`noteConnect`), and the STORM_HOLD_MS after the last such window (the rejoins and the dead node's
 * presence that follow), leaves the share where it was — the late, busy loop is the storm's, which ends
 * by itself, and halving the messages would not shorten it. Off when `maxLagMs` is 0.
 *
 * A refusal says when to retry (`retryAfterMs`, the SDK waits it): RETRY_BASE_MS divided by the share
 * admitted, spread ±50 % (up to RETRY_MAX_MS) so the refused do not come back together. Without it the
 * SDK's own backoff (100 ms doubling to 5 s) brought every refused message back several times while the
 * node stayed saturated, and the node spent most of its loop refusing them (a CPU profile of `npm run
 * chaos` at 10,000 clients: 29 % of the main thread in refusals and their replies, the share at its
 * floor, 23 messages acked a second of the 1,000 offered). The fewer the node admits, the longer it asks
 * the refused to stay away, so the retries it must refuse fall with the share.
 */
const BUSY = 0.9;
const MIN_SHARE = 1 / 32;
const RECOVERY = 0.25;
/** How recently a message must have been offered for a busy, late window to count as message overload. */
const TRAFFIC_WINDOW_MS = 5_000;
/** Connections accepted per second from which a window counts as a connect storm. */
export const STORM_CONNECTS_PER_SECOND = 50;
/** How long after its last storm window the node still counts as in a connect storm. */
export const STORM_HOLD_MS = 5_000;
/** A refusal's retry wait at a share of 1 (the wait is this divided by the share, ±50 %), and its cap. */
export const RETRY_BASE_MS = 500;
export const RETRY_MAX_MS = 20_000;

export class LoadGuard {
  /** Share of messages admitted (1 = all). */
  share = 1;
  private credit = 0;
  /** When `admit` was last called (a message offered), ms since the epoch; 0 = never. */
  private offeredAt = 0;
  /** Connections accepted in the current window, and when the last storm window ended (ms since the epoch). */
  private connects = 0;
  private stormAt = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private utilization: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly maxLagMs: number,
    private readonly onChange: (overloaded: boolean) => void = () => undefined,
    private readonly windowMs = 1_000,
    private readonly random: () => number = Math.random,
  ) {
    if (maxLagMs <= 0) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), windowMs);
    this.timer.unref();
  }

  /** The last window's p99 event-loop delay, ms, and the share of it the loop was busy (0–1). */
  lagMs = 0;
  busy = 0;
  /** Whether the node is in a connect storm (see above). */
  storm = false;

  /** Counts one accepted connection (the connect-storm signal). */
  noteConnect(): void {
    this.connects++;
  }

  private sample(): void {
    const lagMs = this.histogram.percentile(99) / 1e6;
    this.histogram.reset();
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.utilization).utilization;
    this.utilization = now;
    this.observe(lagMs, busy);
  }

  /** One window's reading of the loop (the timer passes the loop's own each `windowMs`): adjusts the share. */
  observe(lagMs: number, busy: number, at = Date.now()): void {
    this.lagMs = lagMs;
    this.busy = busy;
    const before = this.share;
    if (this.connects >= (STORM_CONNECTS_PER_SECOND * this.windowMs) / 1000) this.stormAt = at;
    this.connects = 0;
    this.storm = this.stormAt > 0 && at - this.stormAt <= STORM_HOLD_MS;
    const offered = this.offeredAt > 0 && at - this.offeredAt <= TRAFFIC_WINDOW_MS;
    const saturated = offered && this.lagMs > this.maxLagMs && this.busy >= BUSY;
    if (saturated && this.storm) return; // the connect storm's load: hold the share
    this.share = saturated ? Math.max(MIN_SHARE, this.share / 2) : Math.min(1, this.share + RECOVERY);
    if ((before < 1) !== (this.share < 1)) this.onChange(this.share < 1);
  }

  admit(): void {
    if (this.timer) this.offeredAt = Date.now();
    if (this.share >= 1) return;
    this.credit += this.share;
    if (this.credit >= 1) {
      this.credit -= 1;
      return;
    }
    const retryAfterMs = Math.round(Math.min(RETRY_MAX_MS, (RETRY_BASE_MS / this.share) * (0.5 + this.random())));
    throw refusal(ErrorCode.Overloaded, `this node is over capacity (event loop ${Math.round(this.busy * 100)} % busy, ${Math.round(this.lagMs)} ms behind; admitting ${Math.round(this.share * 100)} %): retry in ${retryAfterMs} ms`, { retryAfterMs });
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
