// DM chat: sockets in pairs; each pair opens a direct conversation (REST) and both sides send RATE
// messages/s in total per pair... the peer measures delivery latency; every send is acked.
import { token } from "../lib/auth.js";
import { api, raiseQuotas } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connect, metrics, sleepMs } from "../lib/socketio.js";

export const options = vuOptions({ sio_delivery_ms: ["p(99)<500"], sio_ack_errors: ["count<1"], sio_connect_errors: ["count<1"] });

export function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets));
}

export default async function () {
  const pairs = Math.max(1, Math.floor(socketsOfThisVu() / 2));
  const conversations = [];
  for (let p = 0; p < pairs; p++) {
    const [a, b] = [userId(2 * p), userId(2 * p + 1)];
    const created = api("POST", "/v1/conversations", { kind: "direct", user: b }, token(cfg.tenant, a));
    if (created.status !== 201 && created.status !== 200) throw new Error(`conversation: ${created.status} ${JSON.stringify(created.body)}`);
    const [sa, sb] = [await connect(cfg.url, { token: token(cfg.tenant, a) }), await connect(cfg.url, { token: token(cfg.tenant, b) })];
    for (const s of [sa, sb]) s.on("chat:message", (m) => metrics.deliveryMs.add(Date.now() - Number(m.text.split(" ")[0])));
    conversations.push({ id: created.body.id, sockets: [sa, sb] });
  }
  const end = Date.now() + cfg.holdS * 1000;
  const perPairInterval = 1000 / Math.max(0.1, cfg.rate / pairs);
  await Promise.all(
    conversations.map(async (c, k) => {
      await sleepMs((k * perPairInterval) / conversations.length);
      for (let n = 0; Date.now() < end; n++) {
        await c.sockets[n % 2].request("chat:send", { conversationId: c.id, text: `${Date.now()} ${n}` });
        await sleepMs(perPairInterval);
      }
    }),
  );
  await sleepMs(1000);
  for (const c of conversations) for (const s of c.sockets) s.close();
}
