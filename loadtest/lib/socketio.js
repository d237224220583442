// A small Socket.IO v5 / Engine.IO v4 client over k6's WebSocket (websocket transport only):
// `0{…}` open → `40[/ns,]{auth}` connect → `40…` ok / `44…` refused; server ping `2` → `3`;
// events `42[/ns,][id]["name",payload]`; acks `43[/ns,]id[response]`.
import { WebSocket } from "k6/websockets";
import { Counter, Trend } from "k6/metrics";

export const metrics = {
  connectMs: new Trend("sio_connect_ms", true),
  connectErrors: new Counter("sio_connect_errors"),
  connected: new Counter("sio_connected"),
  unexpectedCloses: new Counter("sio_unexpected_closes"),
  ackMs: new Trend("sio_ack_ms", true),
  ackErrors: new Counter("sio_ack_errors"),
  received: new Counter("sio_events_received"),
  deliveryMs: new Trend("sio_delivery_ms", true),
};

let errorsLogged = 0;
/** The first few connect errors of each VU go to the log with their reason (the runner prints failed runs' logs). */
function logConnectError(reason) {
  if (errorsLogged++ < 3) console.warn(`connect error: ${reason}`);
}

const wsUrl = (base) => `${base.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;

function parse(packet) {
  // packet starts with "4" + type digit; then optional "/ns," then optional ack id, then JSON
  let i = 2;
  let nsp = "/";
  if (packet[i] === "/") {
    const comma = packet.indexOf(",", i);
    nsp = packet.slice(i, comma);
    i = comma + 1;
  }
  let id = "";
  while (i < packet.length && packet[i] >= "0" && packet[i] <= "9") id += packet[i++];
  const rest = packet.slice(i);
  return { type: packet[1], nsp, id: id === "" ? undefined : Number(id), data: rest ? JSON.parse(rest) : undefined };
}

/**
 * Opens a socket to `base` on namespace `nsp` with `auth`. Resolves with the client once connected,
 * rejects with the server's error body (or a transport error).
 */
export function connect(base, auth, nsp = "/") {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const ws = new WebSocket(wsUrl(base));
    const prefix = nsp === "/" ? "" : `${nsp},`;
    const handlers = {};
    const acks = {};
    let nextId = 0;
    let open = false;
    let closing = false;
    const client = {
      on(event, fn) {
        (handlers[event] = handlers[event] || []).push(fn);
      },
      emit(event, payload) {
        ws.send(`42${prefix}${JSON.stringify([event, payload])}`);
      },
      request(event, payload) {
        return new Promise((res) => {
          const id = nextId++;
          const t0 = Date.now();
          acks[id] = (reply) => {
            metrics.ackMs.add(Date.now() - t0, { event });
            if (reply && reply.error) metrics.ackErrors.add(1, { event, code: String(reply.error.code) });
            res(reply);
          };
          ws.send(`42${prefix}${id}${JSON.stringify([event, payload])}`);
        });
      },
      close() {
        closing = true;
        ws.close();
      },
      get connected() {
        return open && !closing;
      },
    };
    ws.onmessage = (e) => {
      const packet = String(e.data);
      if (packet === "2") return ws.send("3");
      if (packet[0] === "0") return ws.send(`40${prefix}${JSON.stringify(auth)}`);
      if (packet[0] !== "4") return;
      const p = parse(packet);
      if (p.nsp !== nsp) return;
      if (p.type === "0") {
        open = true;
        metrics.connected.add(1);
        metrics.connectMs.add(Date.now() - started);
        resolve(client);
      } else if (p.type === "4") {
        const code = String(p.data && p.data.data ? p.data.data.code : "refused");
        metrics.connectErrors.add(1, { code });
        logConnectError(`${code} ${JSON.stringify(p.data)}`);
        closing = true;
        ws.close();
        reject(p.data);
      } else if (p.type === "2") {
        metrics.received.add(1);
        for (const fn of handlers[p.data[0]] || []) fn(p.data[1]);
      } else if (p.type === "3" && acks[p.id]) {
        const fn = acks[p.id];
        delete acks[p.id];
        fn(p.data[0]);
      }
    };
    ws.onerror = (e) => {
      if (!open) {
        metrics.connectErrors.add(1, { code: "transport" });
        logConnectError(`transport ${e && e.error ? e.error : ""}`);
        reject(new Error("websocket error"));
      }
    };
    ws.onclose = () => {
      if (open && !closing) metrics.unexpectedCloses.add(1);
      open = false;
      for (const fn of handlers.close || []) fn();
    };
  });
}

/** Opens `count` sockets, at most `concurrency` handshakes at a time; failed ones are counted and skipped. */
export async function connectMany(base, count, makeAuth, { concurrency = 50, nsp = "/" } = {}) {
  const sockets = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      try {
        sockets.push(await connect(base, makeAuth(i), nsp));
      } catch (_) {
        // counted in sio_connect_errors
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return sockets;
}

export const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
