/**
 * The fan-out benchmark's client process (forked, driven over IPC): raw TCP with hand-written WebSocket
 * framing and Engine.IO v4 / Socket.IO v5 by hand, so that one core can receive far more than a
 * socket.io-client could. Receivers connect (optionally with `40{auth}`), join the room with an ack and
 * count every `42[...]` event, sampling latency from a `t=<µs>` stamp in it; the publisher sends events
 * at a fixed rate and counts acks and refusals. With `protocol: "centrifugo"` the same over Centrifugo's
 * JSON protocol (connect with id 1, subscribe with id 2, every `"pub"` of a push counted; server pings
 * `{}` answered). `join` on the connect command joins as each socket connects; the separate `join`
 * command makes every connected socket join at once and reports how long all the joins took.
 * Every loop is bounded; the process exits with its parent.
 */
import net from "node:net";
import { FanoutStats, stampOf } from "./fanout-stats";

export type Protocol = "socketio" | "centrifugo";
export interface ConnectCommand {
  cmd: "connect";
  protocol?: Protocol;
  port: number;
  /** Source addresses: ≤ ~12k sockets per address (see ANCHORS.md). */
  localAddresses: string[];
  /** One CONNECT payload per socket (tokens), or [] for none. */
  auths: string[];
  count: number;
  /** Frame sent once connected, e.g. `420["room:join",{"room":"r"}]`; the socket counts as ready at its ack. */
  join?: string;
  sampleEvery: number;
  timeoutMs: number;
}
export interface JoinCommand {
  cmd: "join";
  /** Frame each connected socket sends; an acknowledgement without `"error"` counts as joined. */
  join: string;
  timeoutMs: number;
}
export interface PublishCommand {
  cmd: "publish";
  protocol?: Protocol;
  port: number;
  localAddress: string;
  auth?: string;
  join?: string;
  /** Builds a frame's text from its stamp and sequence: `${ack}` is replaced by a fresh ack id. */
  template: string;
  rate: number;
  durationMs: number;
}
export type ClientCommand = ConnectCommand | JoinCommand | PublishCommand | { cmd: "stats"; reset?: boolean; hist?: boolean };

const nowUs = (): number => Math.round(performance.timeOrigin * 1000 + performance.now() * 1000);

/** A client → server text frame (masked with a zero key, which is a valid mask). */
function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = body.length < 126 ? Buffer.from([0x81, 0x80 | body.length, 0, 0, 0, 0]) : Buffer.from([0x81, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
  if (body.length >= 126) head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}
const PONG = frame("3");

const stats = new FanoutStats();

interface Conn {
  socket: net.Socket;
  write(text: string): void;
  /** Where acknowledgements go once ready (the separate join command sets it). */
  onAck?: (text: string) => void;
}

const PUB = Buffer.from('"pub"');
/** How many Centrifugo publications a frame carries (replies are newline-joined). */
function publicationsIn(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let at = buf.indexOf(PUB, start); at >= 0 && at < end; at = buf.indexOf(PUB, at + 5)) n++;
  return n;
}

/** One Socket.IO connection over a raw socket; `onReady` once CONNECT (and the join, if any) is acknowledged. */
function open(port: number, localAddress: string, opts: { protocol?: Protocol; auth?: string; join?: string; sample: boolean; onReady(): void; onFail(why: string): void; onAck?(text: string): void }): Conn {
  const centrifugo = opts.protocol === "centrifugo";
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.setNoDelay(true);
  let upgraded = false;
  let ready = false;
  let pending: Buffer | null = null;
  const conn: Conn = { socket, write: (text) => void socket.write(frame(text)) };
  const becomeReady = () => {
    if (!ready) {
      ready = true;
      opts.onReady();
    }
  };
  const path = centrifugo ? "/connection/websocket" : "/socket.io/?EIO=4&transport=websocket";
  socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  socket.on("error", (err: NodeJS.ErrnoException) => stats.error(err.code ?? err.message));
  socket.on("close", () => {
    if (ready) stats.closedAfterReady++;
    else opts.onFail("closed");
  });
  socket.on("data", (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    if (!upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return void (pending = buf);
      if (buf.toString("latin1", 9, 12) !== "101") return void socket.destroy();
      upgraded = true;
      off = end + 4;
      if (centrifugo) conn.write(opts.auth ?? '{"id":1,"connect":{}}');
    }
    let now = 0;
    while (buf.length - off >= 2) {
      let len = buf[off + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = Number(buf.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (buf.length - off < head + len) break;
      const op = buf[off]! & 0x0f;
      const start = off + head;
      off = start + len;
      if (op === 8) return void socket.destroy();
      if (op !== 1) continue;
      const t0 = buf[start];
      const t1 = buf[start + 1];
      if (centrifugo) {
        if (off - start === 2 && t0 === 0x7b && t1 === 0x7d) {
          conn.write("{}"); // ping
          continue;
        }
        const pubs = publicationsIn(buf, start, off);
        if (pubs > 0) {
          stats.messages += pubs;
          if (opts.sample) {
            now ||= nowUs();
            const t = stampOf(buf, start, off);
            if (t > 0) stats.record(now - t, t);
          }
          continue;
        }
        const text = buf.toString("utf8", start, off);
        if (ready) (conn.onAck ?? opts.onAck)?.(text);
        else if (text.includes('"error"')) {
          stats.error(`refused ${text.slice(0, 80)}`);
          socket.destroy();
        } else if (text.startsWith('{"id":1,') && opts.join) conn.write(opts.join);
        else becomeReady();
        continue;
      }
      if (t0 === 0x34 && t1 === 0x32) {
        stats.messages++;
        if (opts.sample) {
          now ||= nowUs();
          const t = stampOf(buf, start, off);
          if (t > 0) stats.record(now - t, t);
        }
      } else if (t0 === 0x34 && t1 === 0x33) {
        const text = buf.toString("utf8", start, off);
        if (ready || !opts.join) (conn.onAck ?? opts.onAck)?.(text);
        else if (text.includes('"error"')) {
          stats.error(`join refused ${text.slice(0, 80)}`);
          socket.destroy();
        } else becomeReady();
      } else if (t0 === 0x34 && t1 === 0x30) {
        if (opts.join) conn.write(opts.join);
        else becomeReady();
      } else if (t0 === 0x34 && t1 === 0x34) {
        stats.error(`refused ${buf.toString("utf8", start + 2, Math.min(off, start + 80))}`);
        socket.destroy();
      } else if (t0 === 0x32) socket.write(PONG);
      else if (t0 === 0x30) conn.write(opts.auth ? `40${opts.auth}` : "40");
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : null;
  });
  return conn;
}

const conns: Conn[] = [];

function connectMany(m: ConnectCommand): void {
  const started = Date.now();
  let next = 0;
  let inflight = 0;
  let settled = 0;
  let done = false;
  const finish = (why: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    process.send?.({ type: "connected", why, ready: stats.ready, failed: stats.failed, ms: Date.now() - started, errors: stats.errors });
  };
  const settle = () => {
    inflight--;
    if (++settled >= m.count) finish("all");
    else pump();
  };
  const pump = () => {
    while (!done && inflight < 200 && next < m.count) {
      const i = next++;
      inflight++;
      const opts = { protocol: m.protocol, auth: m.auths[i], join: m.join, sample: i % m.sampleEvery === 0 };
      conns.push(open(m.port, m.localAddresses[i % m.localAddresses.length]!, { ...opts, onReady: () => (stats.ready++, settle()), onFail: () => (stats.failed++, settle()) }));
    }
  };
  const timer = setTimeout(() => finish("timeout"), m.timeoutMs);
  pump();
}

/** Every connected socket sends `m.join` at once; reports when all are acknowledged (or the timeout). */
function joinAll(m: JoinCommand): void {
  const started = Date.now();
  const open = conns.filter((c) => !c.socket.destroyed);
  let joined = 0;
  let refused = 0;
  let done = false;
  const finish = (why: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    for (const c of open) c.onAck = undefined;
    process.send?.({ type: "joined", why, joined, refused, ms: Date.now() - started });
  };
  const timer = setTimeout(() => finish("timeout"), m.timeoutMs);
  for (const c of open) {
    c.onAck = (text) => {
      c.onAck = undefined;
      if (text.includes('"error"')) refused++;
      else joined++;
      if (joined + refused === open.length) finish("all");
    };
    c.write(m.join);
  }
  if (open.length === 0) finish("none");
}

function publish(m: PublishCommand): void {
  let sent = 0;
  let acked = 0;
  let ackId = 0;
  const refusals: Record<string, number> = {};
  const conn = open(m.port, m.localAddress, {
    protocol: m.protocol,
    auth: m.auth,
    join: m.join,
    sample: false,
    onFail: (why) => process.send?.({ type: "published", sent: 0, acked: 0, ms: 0, refusals: { [why]: 1 } }),
    onAck: (text) => {
      const code = /"code":(\d+)/.exec(text)?.[1];
      if (code) refusals[code] = (refusals[code] ?? 0) + 1;
      else acked++;
    },
    onReady: () => {
      const started = Date.now();
      const tick = setInterval(() => {
        const elapsed = Date.now() - started;
        if (elapsed >= m.durationMs) {
          clearInterval(tick);
          setTimeout(() => {
            process.send?.({ type: "published", sent, acked, ms: elapsed, refusals });
            conn.socket.destroy();
          }, 2_000);
          return;
        }
        const due = Math.floor((m.rate * elapsed) / 1000);
        for (let k = 0; sent < due && k < 10_000; k++, sent++) conn.write(m.template.replace("${ack}", String(++ackId)).replace("${t}", String(nowUs())));
      }, 5);
    },
  });
}

process.on("message", (m: ClientCommand) => {
  if (m.cmd === "connect") connectMany(m);
  else if (m.cmd === "join") joinAll(m);
  else if (m.cmd === "publish") publish(m);
  else {
    process.send?.({ type: "stats", ...stats.snapshot(m.hist ?? false), rss: process.memoryUsage().rss });
    if (m.reset) stats.reset();
  }
});
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(0), 30 * 60_000).unref();
process.send?.({ type: "ready" });
