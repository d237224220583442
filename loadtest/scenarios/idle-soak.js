// Idle soak: open SOCKETS authenticated sockets (presence on), hold them HOLD_S seconds answering pings;
// any close the client did not ask for is a drop. The 100k-socket target runs this (loadtest/run.ts).
import { token } from "../lib/auth.js";
import { raiseQuotas } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connectMany, sleepMs } from "../lib/socketio.js";

export const options = vuOptions({ sio_unexpected_closes: ["count<1"], sio_connect_errors: [`count<=${Math.floor(cfg.sockets * 0.001)}`] }, 600);

export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets));
}

export default async function () {
  const sockets = await connectMany(cfg.url, socketsOfThisVu(), (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency });
  await sleepMs(cfg.holdS * 1000);
  for (const s of sockets) s.close();
}
