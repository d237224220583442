// Live-class signaling: a teacher starts a class (REST + /class namespace); every socket joins as a
// student (capabilities → join → receive transport) and raises / lowers its hand RATE times per second
// in total. Measures signaling round trips (sio_ack_ms by event). Needs a node with MEDIA=1.
import { token } from "../lib/auth.js";
import { api, raiseQuotas, staffToken } from "../lib/api.js";
import { cfg, socketsOfThisVu, userId, vuOptions } from "../lib/config.js";
import { connect, connectMany, sleepMs } from "../lib/socketio.js";

export const options = vuOptions({ sio_ack_errors: ["count<1"], sio_connect_errors: ["count<1"], "sio_ack_ms{event:class:join}": ["p(95)<1000"] });

export async function setup() {
  raiseQuotas(Number(__ENV.TOTAL_SOCKETS || cfg.sockets) + 10);
  const created = api("POST", "/v1/classes", { title: "Load test", room: "loadtest-class", scheduledAt: new Date().toISOString() }, staffToken());
  if (created.status !== 201) throw new Error(`class: ${created.status} ${JSON.stringify(created.body)}`);
  const classId = created.body.id;
  const teacher = await connect(cfg.url, { token: staffToken() }, "/class");
  const caps = await teacher.request("class:capabilities", { classId });
  await teacher.request("class:join", { classId, rtpCapabilities: { codecs: caps.rtpCapabilities.codecs, headerExtensions: caps.rtpCapabilities.headerExtensions } });
  await teacher.request("class:start", { classId });
  teacher.close();
  return { classId, caps: { codecs: caps.rtpCapabilities.codecs, headerExtensions: caps.rtpCapabilities.headerExtensions } };
}

export default async function (data) {
  const { classId, caps } = data;
  const sockets = await connectMany(cfg.url, socketsOfThisVu(), (i) => ({ token: token(cfg.tenant, userId(i)) }), { concurrency: cfg.concurrency, nsp: "/class" });
  for (const s of sockets) {
    await s.request("class:capabilities", { classId });
    await s.request("class:join", { classId, rtpCapabilities: caps });
    await s.request("transport:create", { classId, direction: "recv" });
  }
  const end = Date.now() + cfg.holdS * 1000;
  for (let n = 0; Date.now() < end && sockets.length > 0; n++) {
    const s = sockets[n % sockets.length];
    await s.request(n % 2 ? "hand:lower" : "hand:raise", { classId });
    await sleepMs(1000 / cfg.rate);
  }
  for (const s of sockets) s.close();
}
