// Notifications feed: every socket subscribes to one feed; VU 1 of process 0 publishes RATE
// notifications/s through the REST API (→ bus → worker → stored → pushed); members measure delivery.
import { token } from "../lib/auth.js";
import { api, raiseQuotas, staffToken } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connectMany, metrics, sleepMs } from "../lib/socketio.js";

const FEED = __ENV.FEED || "news";
export const options = vuOptions({ sio_delivery_ms: ["p(99)<2000"], sio_ack_errors: ["count<1"], sio_connect_errors: ["count<1"] });

export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets));
  const res = api("POST", "/v1/feeds", { feed: FEED, kind: "announcements", title: "Load test" }, staffToken());
  if (res.status !== 201 && res.status !== 409) throw new Error(`feed: ${res.status} ${JSON.stringify(res.body)}`);
}

export default async function () {
  const sockets = await connectMany(cfg.url, socketsOfThisVu(), (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency });
  for (const s of sockets) {
    s.on("notification", (n) => n.data && metrics.deliveryMs.add(Date.now() - Number(n.data.sentAt)));
    await s.request("feed:subscribe", { feed: FEED });
  }
  await sleepMs(2000);
  const end = Date.now() + cfg.holdS * 1000;
  if (__VU === 1 && cfg.process === 0) {
    for (let n = 0; Date.now() < end; n++) {
      const res = api("POST", "/v1/notifications", { feed: FEED, title: `n${n}`, data: { sentAt: Date.now() } }, staffToken());
      if (res.status !== 202) metrics.ackErrors.add(1, { event: "notify", code: String(res.status) });
      await sleepMs(1000 / cfg.rate);
    }
  } else await sleepMs(cfg.holdS * 1000);
  await sleepMs(3000);
  for (const s of sockets) s.close();
}
