import { Adapter } from "socket.io-adapter";
import type { Server } from "socket.io";
import { RecentDeliveries } from "./fanout-load";
import { broadcastTargets, encodeWith, hasOutgoingListeners, wsStreamInOrder, type BroadcastTarget } from "./socketio-internals";

type Broadcast = Adapter["broadcast"];

/** Broadcasts to fewer local recipients than this are written at once unless a window is open. */
const BATCH_FROM_RECIPIENTS = 100;
/**
 * The window opens only under load: while this node's recent fan-out stays below this many deliveries
 * per ~200 ms (≈ 25k/s, half of what one core writes one frame per send on the ws engine), every
 * broadcast is written at once, so a quiet room pays no window latency.
 */
const BATCH_FROM_RECENT_DELIVERIES = 5_000;

/** An unmasked, final WebSocket text frame (server → client) holding `text`. */
export function textFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65_536 ? Buffer.from([0x81, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65_536) {
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, body]);
}

interface Pending {
  frame: Buffer;
  encoded: string[];
  targets: BroadcastTarget[];
  volatile: boolean;
}

/**
 * Room broadcasts on the ws engine: the packet is encoded and framed once, and the frame is written
 * straight to each recipient's TCP stream (one write, no Engine.IO packet, no per-socket callbacks)
 * whenever that lands in order after what Engine.IO already sent (socketio-internals `wsStreamInOrder`);
 * a socket with packets queued in Engine.IO, or on long-polling, gets the broadcast through Engine.IO
 * as before. Under load (recent fan-out ≥ BATCH_FROM_RECENT_DELIVERIES) broadcasts are collected for
 * `windowMs` and each recipient gets every frame of the window in one write: the cost of fan-out is one
 * send() per socket per write, so frames per send is what scales (as on uWS, realtime/uws-publish.ts).
 * Order among broadcasts is kept; a direct emit (an ack) may overtake a broadcast still in the window.
 * Recipients are the room's members when the broadcast is made, at most once each.
 */
export class WsFanout {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly recent = new RecentDeliveries();

  constructor(private readonly windowMs: number) {}

  broadcast(frame: Buffer, encoded: string[], targets: BroadcastTarget[], volatile: boolean): void {
    const recent = this.recent.add(targets.length);
    const quiet = targets.length < BATCH_FROM_RECIPIENTS || recent < BATCH_FROM_RECENT_DELIVERIES;
    if (this.windowMs <= 0 || (this.pending.length === 0 && quiet)) {
      for (const target of targets) writeOne(target, frame, encoded, volatile);
      return;
    }
    this.pending.push({ frame, encoded, targets, volatile });
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** Writes everything still waiting (also at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      for (const target of only.targets) writeOne(target, only.frame, only.encoded, only.volatile);
      return;
    }
    const perSocket = new Map<BroadcastTarget, number[]>();
    batch.forEach((p, i) => {
      for (const target of p.targets) {
        const list = perSocket.get(target);
        if (list) list.push(i);
        else perSocket.set(target, [i]);
      }
    });
    const joined = new Map<string, Buffer>();
    for (const [target, indices] of perSocket) {
      const stream = wsStreamInOrder(target);
      if (!stream) {
        for (const i of indices) writeThroughEngine(target, batch[i]!.encoded, batch[i]!.volatile);
        continue;
      }
      const kept = stream.writableNeedDrain ? indices.filter((i) => !batch[i]!.volatile) : indices;
      if (kept.length === 0) continue;
      const key = kept.length === batch.length ? "*" : kept.join(",");
      let frames = joined.get(key);
      if (!frames) {
        frames = kept.length === 1 ? batch[kept[0]!]!.frame : Buffer.concat(kept.map((i) => batch[i]!.frame));
        joined.set(key, frames);
      }
      stream.write(frames);
    }
  }
}

function writeThroughEngine(target: BroadcastTarget, encoded: string[], volatile: boolean): void {
  target.client.writeToEngine(encoded, { preEncoded: true, volatile });
}

function writeOne(target: BroadcastTarget, frame: Buffer, encoded: string[], volatile: boolean): void {
  const stream = wsStreamInOrder(target);
  if (!stream) return writeThroughEngine(target, encoded, volatile);
  if (volatile && stream.writableNeedDrain) return; // volatile: dropped when the socket cannot take it now
  stream.write(frame);
}

const fanouts = new WeakMap<object, WsFanout>();
let installed: Broadcast | undefined;

/**
 * Routes this server's broadcasts through a WsFanout (see there). Packets with binary attachments, and
 * sockets with listeners on outgoing packets, take Socket.IO's own path. Call after `io.attach(server)`.
 */
export function useWsPublish(io: Server, windowMs: number): WsFanout {
  const fanout = new WsFanout(windowMs);
  fanouts.set(io, fanout);
  if (Adapter.prototype.broadcast === installed) return fanout;
  const underlying = Adapter.prototype.broadcast;
  installed = function (this: Adapter, packet, opts) {
    const fanout = fanouts.get(this.nsp.server);
    if (!fanout) return underlying.call(this, packet, opts);
    packet.nsp = this.nsp.name;
    const encoded = encodeWith(this, packet);
    const targets = broadcastTargets(this, opts);
    const volatile = opts.flags?.volatile === true;
    if (encoded.length !== 1 || typeof encoded[0] !== "string" || targets.some(hasOutgoingListeners)) {
      for (const target of targets) {
        target.notifyOutgoingListeners?.(packet);
        target.client.writeToEngine(encoded, { preEncoded: true, volatile, compress: opts.flags?.compress });
      }
      return;
    }
    fanout.broadcast(textFrame(`4${encoded[0]}`), encoded as string[], targets, volatile); // "4": an Engine.IO message packet
  } as Broadcast;
  Adapter.prototype.broadcast = installed;
  return fanout;
}
