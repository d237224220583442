// REST calls scenarios make in setup(): quotas for the load-test school, rooms, feeds, classes.
import http from "k6/http";
import { sleep } from "k6";
import { cfg } from "./config.js";
import { token } from "./auth.js";

export function api(method, path, body, auth) {
  const res = http.request(method, `${cfg.url}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
    tags: { name: path.replace(/[0-9a-f-]{36}/g, ":id") },
  });
  return { status: res.status, body: res.body ? JSON.parse(res.body) : {} };
}

/** A big school: room for every socket of the run (all k6 processes) and a 10k-member broadcast. */
export function raiseQuotas(totalSockets) {
  // Every k6 process of a split run does this at once: retry what a busy cluster refuses.
  let res;
  for (let attempt = 0; attempt < 5; attempt++) {
    res = api("PUT", `/v1/tenants/${cfg.tenant}/quotas`, { maxConnections: Math.max(1000, totalSockets * 2), maxMessagesPerSecond: 100000, maxBroadcastRecipients: 20000, apiRequestsPerMinute: 100000 }, token("platform", "ops", "super_admin"));
    if (res.status === 200) return;
    sleep(1 + attempt);
  }
  throw new Error(`raising quotas failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export const staffToken = () => token(cfg.tenant, "loadtest-teacher", "teacher");
