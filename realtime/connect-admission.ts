import type { ExtendedError, Namespace } from "socket.io";
import type { RealtimeServer, RealtimeSocket } from "./types";

/** Engine.IO's `allowRequest` hook: `cb(null, true)` admits, `cb(reason, false)` refuses (HTTP 403). */
export type AllowRequest = (req: unknown, cb: (err: string | null | undefined, ok: boolean) => void) => void;

/** The reason a refused handshake carries (the Engine.IO error body's `message`). */
export const BUSY_REASON = "busy: too many connections being set up on this node; retry after a backoff";

interface EngineConnection {
  once(event: "close", listener: () => void): void;
}

type Middleware = (socket: RealtimeSocket, next: (err?: ExtendedError) => void) => void;

/**
 * Handshake admission: at most `maxPending` connections are being set up at once, from their Engine.IO
 * open to the end of their setup (auth, connection quota, presence registration: `settled`); a handshake
 * beyond that is refused at the Engine.IO level before any work of ours (HTTP 403, `BUSY_REASON`), and
 * the client retries after its backoff. A connect storm larger than the node serves within the clients'
 * handshake timeout otherwise queues handshakes the node finishes after their clients gave up, then
 * tears them down: at 13,000 sockets per node, a survivor of a kill spent its time on those and 98–558
 * of 13,000 were back after 60 s (BENCHMARKS.md, "Reconnect storm"). Guarantees: a connection is counted
 * once and released once (its setup's end or its close, whichever comes first); a refusal costs no
 * Engine.IO session. `maxPending` 0: off.
 */
export class ConnectAdmission {
  private pending = 0;
  private readonly counted = new WeakSet<object>();
  /** Handshakes refused since start. */
  refused = 0;

  constructor(
    private readonly maxPending: number,
    private readonly onRefuse: () => void = () => undefined,
  ) {}

  /** Connections being set up now. */
  get inFlight(): number {
    return this.pending;
  }

  /** For Engine.IO's `allowRequest` option. */
  readonly allowRequest: AllowRequest = (_req, cb) => {
    if (this.maxPending > 0 && this.pending >= this.maxPending) {
      this.refused++;
      this.onRefuse();
      cb(BUSY_REASON, false);
      return;
    }
    cb(null, true);
  };

  /**
   * Counts each Engine.IO connection from its open (a listener added when the engine is bound), and
   * releases it when a namespace's middleware refuses it (every namespace's, present and future) or when
   * it connects to a namespace other than `/`; the root namespace's setup ends later, at the caller's
   * `settled` (its presence registration).
   */
  watch(io: RealtimeServer): void {
    if (this.maxPending <= 0) return;
    const count = (engine: unknown): void =>
      (engine as { on(event: "connection", listener: (conn: EngineConnection) => void): void }).on("connection", (conn) => {
        this.counted.add(conn);
        this.pending++;
        conn.once("close", () => this.settled(conn));
      });
    if (io.engine) count(io.engine); // already attached
    const bind = io.bind.bind(io);
    io.bind = (engine) => {
      count(engine);
      return bind(engine);
    };
    const watchNamespace = (nsp: Namespace): void => {
      const use = nsp.use.bind(nsp);
      nsp.use = (fn: Middleware) => use(this.releasingOnRefusal(fn));
      if (nsp.name !== "/") nsp.on("connection", (socket: RealtimeSocket) => this.settled(socket.conn));
    };
    watchNamespace(io.of("/") as unknown as Namespace);
    io.on("new_namespace", (nsp) => watchNamespace(nsp as unknown as Namespace));
  }

  private releasingOnRefusal(fn: Middleware): Middleware {
    return (socket, next) =>
      fn(socket, (err) => {
        if (err) this.settled(socket.conn);
        next(err);
      });
  }

  /** The connection's setup is over (or it closed): it no longer counts. */
  settled(conn: object): void {
    if (this.counted.delete(conn)) this.pending--;
  }
}
