import { createWorker, type types } from "mediasoup";
import type { MediaOptions } from "../core/config";
import { defaultLogger, type Logger } from "../core/log";

export interface PooledWorker {
  worker: types.Worker;
  /** Routers created on it and still open (load for placement). */
  routers: number;
}

/**
 * mediasoup workers of one media node (one per core by default). A worker that dies is replaced and
 * `onWorkerDied` is told which worker went, so the classes on it can be rebuilt.
 */
export class MediaWorkerPool {
  private readonly workers: PooledWorker[] = [];
  private closed = false;

  constructor(
    private readonly options: MediaOptions,
    private readonly onWorkerDied: (worker: types.Worker) => void,
    private readonly log: Logger = defaultLogger(),
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) this.workers.push(await this.spawn());
  }

  private async spawn(): Promise<PooledWorker> {
    const worker = await createWorker({
      workerBin: this.options.workerBin,
      logLevel: "warn",
      rtcMinPort: this.options.rtcMinPort,
      rtcMaxPort: this.options.rtcMaxPort,
    });
    const pooled: PooledWorker = { worker, routers: 0 };
    worker.on("died", (err) => {
      this.log.error({ err, workerPid: worker.pid }, "media: worker died");
      const at = this.workers.indexOf(pooled);
      if (at >= 0) this.workers.splice(at, 1);
      this.onWorkerDied(worker);
      if (!this.closed) {
        this.spawn().then(
          (w) => (this.closed ? w.worker.close() : this.workers.push(w)),
          (e: unknown) => this.log.error({ err: e }, "media: replacing a worker failed"),
        );
      }
    });
    return pooled;
  }

  /** A router on the least-loaded worker, preferring workers not in `avoid`. */
  async createRouter(mediaCodecs: types.RouterRtpCodecCapability[], avoid: ReadonlySet<types.Worker> = new Set()): Promise<types.Router> {
    const ranked = [...this.workers].sort((a, b) => Number(avoid.has(a.worker)) - Number(avoid.has(b.worker)) || a.routers - b.routers);
    const pooled = ranked[0];
    if (!pooled) throw new Error("no live mediasoup worker");
    const router = await pooled.worker.createRouter({ mediaCodecs, appData: { worker: pooled.worker } });
    pooled.routers++;
    router.observer.once("close", () => pooled.routers--);
    return router;
  }

/** The worker a router of this pool runs on. */
  static workerOf(router: types.Router): types.Worker | undefined {
    return router.appData.worker as types.Worker | undefined;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers currently alive (for tests and metrics). */
  list(): readonly types.Worker[] {
    return this.workers.map((w) => w.worker);
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) w.worker.close();
    this.workers.length = 0;
  }
}
