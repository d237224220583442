import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { realtimeDefaults } from "../core/config";
import { connectClient, nextEvent } from "./support/clients";
import { engines } from "./support/engines";
import { mintToken, scrape, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";

/** An Engine.IO connection that opens and never asks for a namespace (no Socket.IO CONNECT). */
async function openBare(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", () => resolve()); // the Engine.IO open packet
    ws.once("error", reject);
  });
  return ws;
}

const refusedTotal = async (url: string): Promise<number> => Number(/^interlinked_handshakes_refused_busy_total (\d+)$/m.exec(await scrape(url))?.[1] ?? "NaN");

for (const { engine, label } of engines) {
  describe(`handshake admission on the node (${label})`, () => {
    let deployment: Deployment;
    beforeAll(async () => {
      deployment = await startEmbeddedDeployment({ realtime: { ...realtimeDefaults, overloadLagMs: 0, engine, maxPendingConnects: 1, connectSetupLimitMs: 50 } });
    }, 60_000);
    afterAll(async () => deployment?.close());

    it("Engine.IO connections that never ask for a namespace hold no place (else one idle connection would shut the node's door)", async () => {
      const url = deployment.nodes[0]!.url;
      const t = freshTenant("admit");
      const bare = await Promise.all([openBare(url), openBare(url), openBare(url)]);
      await new Promise((r) => setTimeout(r, 200)); // open for longer than the wait limit, three times the count limit
      const before = await refusedTotal(url);
      const clients = [];
      for (const user of ["ann", "bob", "cy"]) {
        const c = await connectClient(url, await mintToken(t, user));
        await nextEvent(c, "notification:backlog"); // its setup's last step: the next one is admitted
        clients.push(c);
      }
      expect(await refusedTotal(url)).toBe(before);
      for (const c of clients) c.close();
      for (const ws of bare) ws.close();
      await new Promise((r) => setTimeout(r, 200)); // their session-ended events flushed before the node closes
    });
  });
}
