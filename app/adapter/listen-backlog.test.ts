import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
const LISTEN_BACKLOG = 4096; import type { HttpEndpoint } from "./http-endpoint";
import { serveOnNodeHttp } from "./node-http";
import { serveOnUws } from "./uws";

/** The accept queues' sizes of the sockets listening on `port` (`ss`: Send-Q of a listening socket is its backlog). */
function acceptQueues(port: number): number[] {
  const out = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.startsWith("LISTEN"))
    .map((line) => Number(line.trim().split(/\s+/)[2]));
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

const engines: Array<[string, () => Promise<HttpEndpoint>]> = [
  ["Node http", () => serveOnNodeHttp(() => new Response("ok"), "127.0.0.1", 0)],
  ["uWebSockets.js", () => serveOnUws(() => new Response("ok"), "127.0.0.1", 0)],
];

describe("the kernel queues LISTEN_BACKLOG connections for a node before it accepts them, on either engine", () => {
  for (const [name, serve] of engines) {
    it(`${name}: ${LISTEN_BACKLOG} in all, also after listening stopped and resumed (a drain undone)`, async () => {
      const endpoint = await serve();
      try {
        expect(sum(acceptQueues(endpoint.port))).toBe(LISTEN_BACKLOG);
        expect(await (await fetch(`http://127.0.0.1:${endpoint.port}/`)).text()).toBe("ok");
        endpoint.stopListening();
        expect(acceptQueues(endpoint.port)).toEqual([]);
        endpoint.resumeListening();
        const deadline = Date.now() + 5_000;
        while (sum(acceptQueues(endpoint.port)) < LISTEN_BACKLOG && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(sum(acceptQueues(endpoint.port))).toBe(LISTEN_BACKLOG);
      } finally {
        await endpoint.close();
      }
    });
  }
});
