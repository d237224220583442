// Presence churn: each socket watches 10 neighbours (presence:subscribe); a fraction of sockets toggles
// away/online and reconnects (new socket, same user) every few seconds. Watchers count presence events.
import { token } from "../lib/auth.js";
import { raiseQuotas } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connect, connectMany, sleepMs } from "../lib/socketio.js";

export const options = vuOptions({ sio_ack_errors: ["count<1"], sio_connect_errors: ["count<1"], sio_events_received: ["count>0"] });

export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets) * 2);
}

export default async function () {
  const n = socketsOfThisVu();
  const sockets = await connectMany(cfg.url, n, (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency });
  for (let i = 0; i < sockets.length; i++) {
    const watched = Array.from({ length: Math.min(10, n - 1) }, (_, k) => userId((i + k + 1) % n));
    if (watched.length > 0) await sockets[i].request("presence:subscribe", { users: watched });
  }
  const end = Date.now() + cfg.holdS * 1000;
  const churners = Math.max(1, Math.floor(sockets.length / 5));
  for (let round = 0; Date.now() < end; round++) {
    for (let c = 0; c < churners; c++) {
      const i = (round * churners + c) % sockets.length;
      if (round % 2 === 0) await sockets[i].request("presence:set", { status: "away" });
      else {
        sockets[i].close();
        sockets[i] = await connect(cfg.url, { token: token(cfg.tenant, userId(i)) });
      }
    }
    await sleepMs(1000 / Math.max(0.1, cfg.rate));
  }
  for (const s of sockets) s.close();
}
