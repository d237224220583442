import { Adapter } from "socket.io-adapter";
import type { Server } from "socket.io";
import type { TemplatedApp, WebSocket as UwsSocket } from "uWebSockets.js";
import { RecentDeliveries } from "./fanout-load";
import { encodeWith, onPollingConnection, transportOf, writeToPollingSockets } from "./socketio-internals";

type Broadcast = Adapter["broadcast"];
type Publisher = UwsSocket<unknown> | TemplatedApp;

/** socket.io-adapter's own broadcast (one write per socket), captured before Socket.IO patches it for uWS. */
const perSocketBroadcast: Broadcast = Adapter.prototype.broadcast;
const SEPARATOR = "\x1f"; // Socket.IO's uWS topic separator: `${namespace}\x1f${room}`

/** Rooms with fewer local subscribers than this publish at once (little to save) unless a window is open. */
const BATCH_FROM_SUBSCRIBERS = 100;
/**
 * The window opens only under load: while this node's recent fan-out (deliveries = publishes ×
 * subscribers, over the last 100–200 ms) stays below this, every publish is written at once, so a quiet
 * room pays no window latency. 20,000 per ~200 ms ≈ 100k deliveries/s, well under what one core sends
 * unbatched (BENCHMARKS.md, fan-out).
 */
const BATCH_FROM_RECENT_DELIVERIES = 20_000;

/** Publishes collected for one window and written in one go, so uWS sends each subscriber one batch. */
export class PublishBatch {
  private pending: Array<{ from: Publisher; topic: string; piece: string | Buffer }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly recent = new RecentDeliveries();

  constructor(
    readonly app: TemplatedApp,
    private readonly windowMs: number,
  ) {}

  /**
   * Writes at once when batching is off, or when nothing is waiting (which keeps order) and either the
   * room is small or the node is not under fan-out load; otherwise the publish joins the open window.
   */
  publish(from: Publisher, topic: string, piece: string | Buffer, subscribers: number): void {
    const recent = this.recent.add(subscribers);
    if (this.windowMs <= 0) return this.write(from, topic, piece);
    if (this.pending.length === 0 && (subscribers < BATCH_FROM_SUBSCRIBERS || recent < BATCH_FROM_RECENT_DELIVERIES)) return this.write(from, topic, piece);
    this.pending.push({ from, topic, piece });
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const { from, topic, piece } of batch) this.write(from, topic, piece);
  }

  private write(from: Publisher, topic: string, piece: string | Buffer): void {
    const binary = typeof piece !== "string";
    const message = binary ? piece : `4${piece}`; // "4": an Engine.IO message packet
    try {
      from.publish(topic, message, binary);
    } catch {
      this.app.publish(topic, message, binary); // the sender closed meanwhile: it is subscribed to nothing now
    }
  }
}

const batches = new WeakMap<object, PublishBatch>();
/** Connections of a server still on HTTP long-polling: while there are none, a broadcast skips the per-socket pass. */
const polling = new WeakMap<object, { count: number }>();

function countPolling(io: Server): { count: number } {
  const tally = { count: 0 };
  onPollingConnection(io, (ended) => {
    tally.count++;
    let counted = true;
    ended(() => {
      if (counted) tally.count--;
      counted = false;
    });
  });
  return tally;
}
let installed: Broadcast | undefined;

/**
 * Broadcasts to one room through uWebSockets.js pub/sub: the packet is encoded once and uWS writes it to
 * every subscribed WebSocket in C++, instead of one JavaScript write per socket. Socket.IO does this
 * itself only when nothing is excepted; every room message of ours excepts its sender
 * (`socket.to(room)`), so here the sender's own uWS socket publishes (uWS leaves the publisher out), and
 * a broadcast that arrived from another node (its sender is not here) publishes from the app.
 *
 * On loopback and on real NICs the cost of fan-out is one send() per subscriber per write, not the
 * bytes, so under load publishes are collected for `batchMs` and written together: a subscriber gets
 * every message of the window in one send. Below BATCH_FROM_RECENT_DELIVERIES nothing waits. Under load the window stretches by itself (the timer fires late), so sends
 * per second stay bounded while messages per send grow — throughput holds instead of collapsing. Order
 * among broadcasts is kept; a direct emit to a socket (an ack) may overtake a broadcast still in the window.
 *
 * Long-polling sockets still get their per-socket write, and anything else (several rooms, excepted
 * rooms) takes the per-socket path. At most once per socket, like the per-socket path.
 * Call after `io.attachApp(app)` (which subscribes sockets to topics as they join rooms).
 */
export function useUwsPublish(io: Server, app: TemplatedApp, batchMs: number): void {
  batches.set(io, new PublishBatch(app, batchMs));
  polling.set(io, countPolling(io));
  if (Adapter.prototype.broadcast === installed) return;
  const underlying = Adapter.prototype.broadcast; // Socket.IO's uWS patch, or the original after io.close()
  installed = function (this: Adapter, packet, opts) {
    const batch = batches.get(this.nsp.server);
    if (!batch) return underlying.call(this, packet, opts);
    if (opts.rooms.size > 1) return perSocketBroadcast.call(this, packet, opts);
    let publisher: Publisher | undefined;
    for (const excepted of opts.except ?? []) {
      if (!this.rooms.has(excepted)) continue; // nobody here is in it: nothing to leave out
      const { uws } = transportOf(this.nsp.sockets.get(excepted)?.conn);
      if (opts.except!.size > 1 || !uws) return perSocketBroadcast.call(this, packet, opts);
      publisher = uws;
    }
    packet.nsp = this.nsp.name;
    const encoded = encodeWith(this, packet);
    const room = opts.rooms.values().next();
    const topic = room.done ? this.nsp.name : `${this.nsp.name}${SEPARATOR}${room.value}`;
    const subscribers = room.done ? this.nsp.sockets.size : (this.rooms.get(room.value)?.size ?? 0);
    for (const piece of encoded) batch.publish(publisher ?? batch.app, topic, piece, subscribers);
    if (polling.get(this.nsp.server)?.count) writeToPollingSockets(this, opts, encoded);
  } as Broadcast;
  Adapter.prototype.broadcast = installed;
}
