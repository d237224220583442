import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nginxDefaults, renderNginxConfig } from "../nginx/render-config";
import { startNginx } from "../tools/services/nginx";
import { freePort } from "../tools/services/process";
import { eventually } from "./support/clients";
import { mintToken, startProcessDeployment } from "./support/nodes";
import { sleep } from "./support/realtime";
import { serviceEnv } from "./support/services";

// Three realtime node processes (routes n0, n1, n2) on Redis/Kafka/PostgreSQL behind real nginx with the generated config.
let deployment: Awaited<ReturnType<typeof startProcessDeployment>>;
let nginx: { stop(): Promise<void> };
let url: string;
const dir = mkdtempSync(join(tmpdir(), "interlinked-nginx-cluster-"));
const sockets: Socket[] = [];

beforeAll(async () => {
  deployment = await startProcessDeployment(3, { engine: "ws", perNode: (i) => ({ STICKY_ROUTE: `n${i}` }) });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const config = renderNginxConfig({
    ...nginxDefaults,
    sockets: 2_000,
    listen: `127.0.0.1:${port}`,
    nodes: deployment.nodes.map((n, i) => ({ route: `n${i}`, address: new URL(n.url).host })),
    runDir: dir,
    upstreamSources: ["127.0.0.1", "127.0.0.2"],
  });
  nginx = await startNginx({ bin: serviceEnv("NGINX_BIN"), dir, port, config });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await nginx.stop();
  await deployment.close();
  rmSync(dir, { recursive: true, force: true });
});

async function client(user: string, transports: Array<"polling" | "websocket">, reconnection = false): Promise<Socket> {
  const s = io(url, { auth: { token: await mintToken("school-n", user) }, transports, reconnection, reconnectionDelay: 200, forceNew: true, timeout: 5_000 });
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}
/** Established connections to the nodes' ports, counted by their local (source) address (`ss`). */
function upstreamSources(nodePorts: Set<string>): Map<string, number> {
  const out = spawnSync("ss", ["-Htn", "state", "established"], { encoding: "utf8" }).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split("\n")) {
    const [local, peer] = line.trim().split(/\s+/).slice(2, 4);
    if (!local || !peer || !nodePorts.has(peer.split(":").at(-1) ?? "")) continue;
    const address = local.slice(0, local.lastIndexOf(":"));
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
}
const routeOf = (s: Socket): string => String(s.io.engine.id).split(".")[0] ?? "";
const emit = (s: Socket, event: string, payload: unknown): Promise<Record<string, unknown>> => s.timeout(10_000).emitWithAck(event, payload) as Promise<Record<string, unknown>>;

describe("nginx in front of three realtime nodes (nginx/render-config.ts)", () => {
  it("renders a config nginx accepts, sized for 100,000 sockets within 20,000 files per process", () => {
    const conf = renderNginxConfig({ ...nginxDefaults, listen: "127.0.0.1:8080", nodes: [0, 1, 2].map((i) => ({ route: `n${i}`, address: `127.0.0.1:${3000 + i}` })), runDir: dir });
    expect(conf).toMatch(/worker_processes 16;/);
    expect(conf).toMatch(/worker_rlimit_nofile 20000;/);
    expect(conf).toMatch(/worker_connections 19800;/);
    const file = join(dir, "check.conf");
    writeFileSync(file, conf);
    const checked = spawnSync(serviceEnv("NGINX_BIN"), ["-t", "-p", dir, "-c", file], { encoding: "utf8" });
    expect(checked.stderr).toMatch(/syntax is ok/);
    expect(checked.status).toBe(0);
    // The committed example is what the renderer produces (regenerate with `npm run nginx:config`).
    expect(readFileSync(new URL("../nginx/interlinked.conf", import.meta.url), "utf8")).toBe(renderNginxConfig({ ...nginxDefaults, listen: "0.0.0.0:80", nodes: [0, 1, 2].map((i) => ({ route: `n${i}`, address: `realtime-${i}:3000` })) }));
  });

  it("keeps long-polling clients on their node, spreads websocket clients, and carries messages across nodes", async () => {
    const polling = await Promise.all(Array.from({ length: 9 }, (_, i) => client(`p${i}`, ["polling"])));
    const ws = await Promise.all(Array.from({ length: 6 }, (_, i) => client(`w${i}`, ["websocket"])));
    const upgraded = await client("u", ["polling", "websocket"]);
    expect(new Set(polling.map(routeOf)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(ws.map(routeOf)).size).toBeGreaterThanOrEqual(2);
    await eventually(async () => upgraded.io.engine.transport.name, (t) => t === "websocket");
    const all = [...polling, ...ws, upgraded];
    for (const s of all) expect(await emit(s, "room:join", { room: "lobby" })).toMatchObject({ room: "lobby" });
    const received = all.map(() => 0);
    all.forEach((s, i) => s.on("room:message", () => (received[i] = (received[i] ?? 0) + 1)));
    for (const s of polling) expect(await emit(s, "room:message", { room: "lobby", text: "hi" })).toHaveProperty("seq");
    // Each polling client sent one: it hears the 8 others; the rest hear all 9.
    await eventually(async () => received, (r) => r.every((n, i) => n === (i < polling.length ? polling.length - 1 : polling.length)));
  }, 30_000);

  it("opens its WebSocket connections to the nodes from each of its upstream source addresses (proxy_bind)", async () => {
    const nodePorts = new Set(deployment.nodes.map((n) => new URL(n.url).port));
    const before = upstreamSources(nodePorts);
    const opened = await Promise.all(Array.from({ length: 16 }, (_, i) => client(`src${i}`, ["websocket"])));
    const after = upstreamSources(nodePorts);
    for (const s of opened) s.close(); // least_conn: the next test's clients must still reach every node
    for (const address of ["127.0.0.1", "127.0.0.2"]) expect(after.get(address) ?? 0).toBeGreaterThan(before.get(address) ?? 0);
    expect([...after.keys()].sort()).toEqual(["127.0.0.1", "127.0.0.2"]);
  });

  it("moves clients of a node that goes down to the others; new clients keep connecting", async () => {
    const onOne: Socket[] = [];
    for (let i = 0; onOne.length < 2 && i < 40; i++) {
      const s = await client(`r${i}`, ["polling"], true);
      if (routeOf(s) === "n1") onOne.push(s);
    }
    expect(onOne).toHaveLength(2);
    await (deployment.processes[1] ?? expect.fail("no node 1")).child.stop("SIGKILL");
    for (const s of onOne) await eventually(async () => s.connected && routeOf(s) !== "n1", (ok) => ok, 15_000);
    await sleep(200);
    const fresh = await Promise.all(Array.from({ length: 6 }, (_, i) => client(`f${i}`, ["polling"])));
    expect(fresh.map(routeOf).filter((r) => r === "n1")).toEqual([]);
    for (const s of [...onOne, ...fresh]) expect(await emit(s, "room:join", { room: "after" })).toMatchObject({ room: "after" });
  }, 40_000);
});
