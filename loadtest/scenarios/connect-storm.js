// Connect storm: every VU opens its sockets as fast as CONCURRENCY handshakes allow (auth, quota lease,
// presence), holds them briefly, closes. Measures connect time and refusals.
import { token } from "../lib/auth.js";
import { raiseQuotas } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connectMany, sleepMs } from "../lib/socketio.js";

export const options = vuOptions({ sio_connect_errors: [`count<=${Math.floor(cfg.sockets * 0.005)}`], sio_connect_ms: ["p(95)<5000"] });

export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets));
}

export default async function () {
  const sockets = await connectMany(cfg.url, socketsOfThisVu(), (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency });
  await sleepMs(1000);
  for (const s of sockets) s.close();
}
