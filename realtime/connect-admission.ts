import type { ExtendedError, Namespace } from "socket.io";
import type { RealtimeServer, RealtimeSocket } from "./types";

/** Engine.IO's `allowRequest` hook: `cb(null, true)` admits, `cb(reason, false)` refuses (HTTP 403). */
export type AllowRequest = (req: unknown, cb: (err: string | null | undefined, ok: boolean) => void) => void;

/** The reason a refused handshake carries (the Engine.IO error body's `message`). */
export const BUSY_REASON = "busy: this node is behind on setting up connections; retry after a backoff";

/** When the node refuses new handshakes (0 turns a limit off). */
export interface AdmissionLimits {
  /** Connections being set up at once (a bound on what a storm holds in memory). */
  maxPending: number;
  /** How long the oldest connection still being set up may have waited: past it, the node is behind. */
  maxWaitMs: number;
}

interface EngineConnection {
  once(event: "close", listener: () => void): void;
}

type Middleware = (socket: RealtimeSocket, next: (err?: ExtendedError) => void) => void;

/**
 * Handshake admission. A connection is being set up from the moment its client asks for a namespace (the
 * first middleware runs) to the end of its setup (auth, connection quota, presence registration:
 * `settled`); an Engine.IO connection that has not asked yet is waiting on its client, not on the node,
 * and is not counted (else one idle connection would hold the node's admission for Socket.IO's 45 s
 * connect timeout). A new handshake is refused at the Engine.IO level, before any work of ours
 * (`BUSY_REASON`), while the oldest connection still being set up has waited more than `maxWaitMs` (the
 * node is behind: what it admits now it would finish after the client's handshake timeout), or while
 * `maxPending` are; the client retries after its backoff.
 * Refusing by wait and not by count leaves a node that keeps up alone: a cap of 500 connections doubled
 * the 13,000-per-node storm (23.8 s against 11.6 s without a cap), while a node that does not keep up
 * otherwise finishes handshakes after their clients gave up and tears them down (98–558 of 13,000 back
 * in 60 s, BENCHMARKS.md "Reconnect storm"). Guarantees: a connection is counted once and released
 * once (its setup's end or its close, whichever comes first); a refusal costs no Engine.IO session.
 */
export class ConnectAdmission {
  /** Connections being set up → when each opened, oldest first (a Map keeps insertion order). */
  private readonly pending = new Map<object, number>();
  /** Connections whose close already releases them. */
  private readonly watchedClose = new WeakSet<object>();
  /** Handshakes refused since start. */
  refused = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly onRefuse: () => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Connections being set up now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** How long the oldest connection still being set up has waited, ms (0 with none). */
  oldestWaitMs(): number {
    const oldest = this.pending.values().next();
    return oldest.done ? 0 : this.now() - oldest.value;
  }

  private get off(): boolean {
    return this.limits.maxPending <= 0 && this.limits.maxWaitMs <= 0;
  }

  /** For Engine.IO's `allowRequest` option. */
  readonly allowRequest: AllowRequest = (_req, cb) => {
    const { maxPending, maxWaitMs } = this.limits;
    if ((maxPending > 0 && this.pending.size >= maxPending) || (maxWaitMs > 0 && this.oldestWaitMs() > maxWaitMs)) {
      this.refused++;
      this.onRefuse();
      cb(BUSY_REASON, false);
      return;
    }
    cb(null, true);
  };

  /**
   * Counts a connection from its namespace's first middleware (every namespace's, present and future:
   * each middleware is wrapped), and releases it when a middleware refuses it, when it closes, or when it
   * connects to a namespace other than `/`; the root namespace's setup ends later, at the caller's
   * `settled` (its presence registration).
   */
  watch(io: RealtimeServer): void {
    if (this.off) return;
    const watchNamespace = (nsp: Namespace): void => {
      const use = nsp.use.bind(nsp);
      nsp.use = (fn: Middleware) => use(this.releasingOnRefusal(fn));
      if (nsp.name !== "/") nsp.on("connection", (socket: RealtimeSocket) => this.settled(socket.conn));
    };
    watchNamespace(io.of("/") as unknown as Namespace);
    io.on("new_namespace", (nsp) => watchNamespace(nsp as unknown as Namespace));
  }

  private releasingOnRefusal(fn: Middleware): Middleware {
    return (socket, next) => {
      this.started(socket.conn as unknown as EngineConnection);
      fn(socket, (err) => {
        if (err) this.settled(socket.conn);
        next(err);
      });
    };
  }

  /** The node begins setting up a connection (once however many middlewares run). */
  private started(conn: EngineConnection): void {
    if (this.pending.has(conn)) return;
    this.pending.set(conn, this.now());
    if (this.watchedClose.has(conn)) return;
    this.watchedClose.add(conn);
    conn.once("close", () => this.settled(conn));
  }

  /** The connection's setup is over (or it closed): it no longer counts. */
  settled(conn: object): void {
    this.pending.delete(conn);
  }
}
