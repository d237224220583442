// Room chat fan-out: every socket joins one room; VU 1's first socket sends RATE messages/s carrying
// their send time; every member measures delivery latency. Deliveries/s = RATE × members.
import { token } from "../lib/auth.js";
import { raiseQuotas } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connectMany, metrics, sleepMs } from "../lib/socketio.js";

const ROOM = __ENV.ROOM || "fanout";
export const options = vuOptions({ sio_delivery_ms: ["p(99)<250"], sio_ack_errors: ["count<1"], sio_connect_errors: ["count<1"] });

// Sending starts at one moment for all VUs (setup time + WARMUP_S), once every member has joined.
export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets));
  return { startAt: Date.now() + Number(__ENV.WARMUP_S || 3) * 1000 };
}

export default async function (data) {
  const sockets = await connectMany(cfg.url, socketsOfThisVu(), (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency });
  for (const s of sockets) {
    s.on("room:message", (m) => metrics.deliveryMs.add(Date.now() - Number(m.text.split(" ")[0])));
    await s.request("room:join", { room: ROOM });
  }
  await sleepMs(Math.max(0, data.startAt - Date.now()));
  const sender = __VU === 1 && cfg.process === 0 ? sockets[0] : undefined;
  const end = Date.now() + cfg.holdS * 1000;
  if (sender) {
    const interval = 1000 / cfg.rate;
    for (let n = 0; Date.now() < end; n++) {
      void sender.request("room:message", { room: ROOM, text: `${Date.now()} ${n}` });
      await sleepMs(interval);
    }
  } else await sleepMs(cfg.holdS * 1000);
  await sleepMs(2000);
  for (const s of sockets) s.close();
}
