import { io, type Socket } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { ISOLATED_AFTER_MS } from "../realtime/node-liveness";
import { startTcpProxy } from "../scripts/chaos/tcp-proxy";
import { eventually } from "./support/clients";
import { mintToken, startProcessDeployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";
import { serviceEnv } from "./support/services";
import { startNginxFront } from "./support/nginx-front";

const readiness = async (url: string): Promise<number> => (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined))?.status ?? 0;

describe("a realtime node cut off from Redis (black hole) behind nginx", () => {
  it("stops serving: every connection closed as a transport close, so stock socket.io-clients reconnect by themselves to the other node; serves again once healed", async () => {
    const redis = new URL(serviceEnv("REDIS_URL"));
    const proxy = await startTcpProxy(Number(redis.port));
    const deployment = await startProcessDeployment(2, {
      engine: "uws",
      perNode: (i) => ({ STICKY_ROUTE: `n${i}`, ...(i === 0 ? { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } : {}) }),
    });
    const nginx = await startNginxFront(deployment.nodes, "isolation");
    const url = nginx.url;
    const tenant = freshTenant("isolation");
    const clients: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        // the stock client's own reconnection, as an app without the SDK has it
        const s = io(url, { auth: { token: await mintToken(tenant, `u${i}`) }, transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true });
        clients.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("connect_error", reject);
        });
      }
      const routes = (): string[] => clients.map((c) => String(c.io.engine?.id ?? "").split(".")[0] ?? "");
      const onZero = routes().map((r, i) => (r === "n0" ? i : -1)).filter((i) => i >= 0);
      expect(onZero.length).toBeGreaterThan(0);
      const reasons = clients.map(() => [] as string[]);
      const told = clients.map(() => 0);
      clients.forEach((c, i) => {
        c.on("disconnect", (reason) => reasons[i]?.push(reason));
        c.on("app:draining", () => (told[i] = (told[i] ?? 0) + 1));
      });
      const node0 = deployment.nodes[0] ?? expect.fail("no node 0");
      expect(await readiness(node0.url)).toBe(200);

      proxy.cut();
      const cutAt = Date.now();
      // isolated once no beat got through for ISOLATED_AFTER_MS (a beat period may have passed before the cut)
      await eventually(async () => Promise.resolve(routes()), (r) => r.every((x) => x === "n1") && clients.every((c) => c.connected), ISOLATED_AFTER_MS + 2_000 + 10_000);
      const movedAfterMs = Date.now() - cutAt;
      expect(await readiness(node0.url)).not.toBe(200);
      // each client of node 0 saw its transport close (not a server-side disconnect, after which socket.io-client
      // does not reconnect by itself), was told nothing, and came back on n1; the others were not touched
      for (const i of onZero) expect(reasons[i], `client ${i}`).toEqual(["transport close"]);
      for (let i = 0; i < clients.length; i++) if (!onZero.includes(i)) expect(reasons[i], `client ${i}`).toEqual([]);
      expect(told.every((n) => n === 0)).toBe(true);
      console.log(`[isolation test] ${onZero.length} clients of n0 moved to n1 ${movedAfterMs} ms after the cut`);

      proxy.heal();
      await eventually(() => readiness(node0.url), (s) => s === 200, 15_000);
    } finally {
      for (const c of clients) c.close();
      await nginx.stop();
      await deployment.close();
      proxy.close();
    }
  }, 90_000);
});
