import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { realtimeDefaults } from "../core/config";
import { connectClient, eventually, nextEvent } from "./support/clients";
import { engines } from "./support/engines";
import { mintToken, scrape, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";

/** An Engine.IO connection that opens and never asks for a namespace: it stays "being set up". */
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
      deployment = await startEmbeddedDeployment({ realtime: { ...realtimeDefaults, overloadLagMs: 0, engine, maxPendingConnects: 3 } });
    }, 60_000);
    afterAll(async () => deployment?.close());

    it("with MAX_PENDING_CONNECTS connections being set up, the next handshake is refused at once; it is admitted once one of them ends", async () => {
      const url = deployment.nodes[0]!.url;
      const t = freshTenant("admit");
      const token = await mintToken(t, "ann");
      const bare = await Promise.all([openBare(url), openBare(url), openBare(url)]);
      const before = await refusedTotal(url);
      const started = Date.now();
      await expect(connectClient(url, token)).rejects.toThrow("websocket error");
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await refusedTotal(url)).toBe(before + 1);
      bare[0]!.close();
      const client = await eventually(
        () => connectClient(url, token).catch(() => undefined),
        (c) => c !== undefined,
      );
      // a connected client no longer counts: with two bare ones still open, one more is admitted
      const another = await connectClient(url, await mintToken(t, "bob"));
      await nextEvent(another, "notification:backlog"); // its setup's last step, before closing
      client?.close();
      another.close();
      for (const ws of bare) ws.close();
    });
  });
}
