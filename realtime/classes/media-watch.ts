import { defaultLogger, type Logger } from "../../core/log";
import type { MediaDirectory } from "./media-directory";
import type { MediaRpc } from "./media-rpc";

export interface MediaWatchOptions {
  /** How often each watched media node is probed. */
  intervalMs: number;
  /** Probes in a row that find the node not serving before it is declared lost. */
  misses: number;
}

/** Probes every WATCH_INTERVAL_MS; two misses in a row: a killed media node is lost 1–2 s after its death. */
export const mediaWatchDefaults: MediaWatchOptions = { intervalMs: 1_000, misses: 2 };

/**
 * A realtime node's watch over the media nodes hosting its sockets' classes. Each watched node is probed
 * (`MediaRpc.serving`: is anybody subscribed to its requests) every `intervalMs`; after `misses` failed
 * probes in a row the node is lost: its directory registration is dropped at once (so `locate` places its
 * classes on another live media node instead of waiting NODE_TTL_MS for the registration to lapse) and
 * every watcher of that node is called once, then forgotten. A watcher belongs to one socket and one class,
 * so each socket is told once per loss, by the node that holds it.
 *
 * A node wrongly declared lost (its subscriber connection flapped) registers again on its next beat; the
 * classes moved meanwhile stay where they went, and the node that lost them is fenced by the class state
 * store (media/state/class-state-store.ts) and tells its remaining connections to join again.
 */
export class MediaWatch {
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly missed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly rpc: Pick<MediaRpc, "serving">,
    private readonly directory: Pick<MediaDirectory, "unregister">,
    private readonly options: MediaWatchOptions = mediaWatchDefaults,
    private readonly log: Logger = defaultLogger(),
  ) {}

  /** Calls `onLost` once if `node` is lost before the returned unwatch is called. */
  watch(node: string, onLost: () => void): () => void {
    let set = this.watchers.get(node);
    if (!set) this.watchers.set(node, (set = new Set()));
    const entry = (): void => onLost();
    set.add(entry);
    this.start();
    return () => {
      const current = this.watchers.get(node);
      if (!current?.delete(entry) || current.size > 0) return;
      this.watchers.delete(node);
      this.missed.delete(node);
    };
  }

  /** Nodes watched now (metrics, tests). */
  get nodes(): string[] {
    return [...this.watchers.keys()];
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** A request to `node` found it not serving: probe it now rather than at the next interval. */
  suspect(node: string): Promise<void> {
    return this.probe(node);
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all([...this.watchers.keys()].map((node) => this.probe(node)));
    } finally {
      this.checking = false;
    }
  }

  private async probe(node: string): Promise<void> {
    if (!this.watchers.has(node)) return;
    // a probe that fails (the transport is down) says nothing about the node
    const serving = await this.rpc.serving(node).catch(() => true);
    if (serving) return void this.missed.delete(node);
    const misses = (this.missed.get(node) ?? 0) + 1;
    this.missed.set(node, misses);
    if (misses >= this.options.misses) await this.lost(node);
  }

  private async lost(node: string): Promise<void> {
    const set = this.watchers.get(node);
    this.watchers.delete(node);
    this.missed.delete(node);
    if (!set) return;
    this.log.warn({ mediaNode: node, watchers: set.size }, "classes: a media node stopped serving; its classes move");
    await this.directory.unregister(node).catch((err: unknown) => this.log.error({ err, mediaNode: node }, "classes: dropping a lost media node's registration failed"));
    for (const onLost of set) {
      try {
        onLost();
      } catch (err) {
        this.log.error({ err, mediaNode: node }, "classes: a watcher of a lost media node failed");
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watchers.clear();
    this.missed.clear();
  }
}
