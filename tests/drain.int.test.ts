import { io, type Socket } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, startProcessDeployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";
import { startNginxFront } from "./support/nginx-front";

describe("graceful drain (SIGTERM) behind nginx", () => {
  it("turns readiness to 503, refuses new connections, moves every client to the other node in batches, loses no acked message", async () => {
    const deployment = await startProcessDeployment(2, { engine: "ws", perNode: (i) => ({ STICKY_ROUTE: `n${i}`, DRAIN_GRACE_MS: "3000" }) });
    const nginx = await startNginxFront(deployment.nodes, "drain");
    const url = nginx.url;
    const tenant = freshTenant("drain");
    const clients: Socket[] = [];
    let sending = true;
    try {
      for (let i = 0; i < 20; i++) {
        const s = io(url, { auth: { token: await mintToken(tenant, `u${i}`) }, transports: i % 2 ? ["websocket"] : ["polling", "websocket"], reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true });
        clients.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("connect_error", reject);
        });
        s.on("connect", () => void s.emit("room:join", { room: "stream" }));
        expect(await s.timeout(5_000).emitWithAck("room:join", { room: "stream" })).toMatchObject({ room: "stream" });
      }
      const routes = (): string[] => clients.map((c) => String(c.io.engine?.id ?? "").split(".")[0] ?? "");
      const onZero = routes().filter((r) => r === "n0").length;
      expect(onZero).toBeGreaterThan(0);
      const told = clients.map(() => 0);
      clients.forEach((c, i) => c.on("app:draining", () => (told[i] = (told[i] ?? 0) + 1)));

      // Every client sends with an idempotency key until the end; a send is retried (same key) until acked.
      const acked = new Set<string>();
      const senders = clients.map(async (c, i) => {
        for (let n = 0; sending; n++) {
          const key = `u${i}-${n}`;
          for (let attempt = 0; attempt < 50; attempt++) {
            const res = (await c.timeout(2_000).emitWithAck("room:message", { room: "stream", text: key, key }).catch(() => undefined)) as { id?: string } | undefined;
            if (res?.id) {
              acked.add(res.id);
              break;
            }
            await sleep(100);
          }
          await sleep(50);
        }
      });
      await sleep(500);

      const node0 = deployment.processes[0] ?? expect.fail("no node 0");
      const step = (what: string): void => console.log(`[drain test] ${what}`);
      step("SIGTERM");
      const exited = node0.child.stop("SIGTERM");
      await eventually(async () => (await fetch(`${node0.url}/health/ready`).catch(() => undefined))?.status ?? 0, (s) => s === 503 || s === 0, 2_000);
      await expect(fetch(`${node0.url}/health/live`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status)).rejects.toThrow();
      step("readiness 503, listener closed");
      await eventually(async () => routes(), (r) => r.every((x) => x === "n1") && clients.every((c) => c.connected), 8_000);
      step("all clients on n1");
      await exited;
      step(`node 0 exited: ${node0.child.output().split("\n").filter((l) => l.includes("drain")).join(" | ")}`);
      sending = false;
      await Promise.all(senders);
      step(`senders done, ${acked.size} acked`);

      expect(told.filter((n) => n > 0).length).toBe(onZero);
      const api = await apiAs(deployment.nodes[1]?.url ?? "", tenant, "u0");
      const stored = await eventually(
        async () => {
          const ids = new Set<string>();
          let after = 0;
          for (;;) {
            const page = await api.get<{ messages: Array<{ id: string }>; nextAfter: number | null }>(`/v1/rooms/stream/messages?limit=500&after=${after}`);
            for (const m of page.body.messages) ids.add(m.id);
            if (page.body.nextAfter === null) return ids;
            after = page.body.nextAfter;
          }
        },
        (ids) => [...acked].every((id) => ids.has(id)),
        15_000,
      );
      expect(acked.size).toBeGreaterThan(40);
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      sending = false;
      for (const c of clients) c.close();
      await nginx.stop();
      await deployment.close();
    }
  }, 60_000);
});
