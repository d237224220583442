import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk } from "../../sdk/build";
import { launchChromium, withPage } from "../support/browser";
import { mintToken, startProcessDeployment } from "../support/nodes";
import { freshTenant, sleep } from "../support/realtime";
import { sdkClients } from "../support/sdk";

// A page on the SDK's browser bundle whose node is killed (-9) under it: the SDK reconnects to the other
// node, rejoins with `since`, and the page has every acked message exactly once, in seq order.
const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk failover</title>
<script type="module">
  import { createClient } from "./interlinked.browser.js";
  const params = new URLSearchParams(location.search);
  const client = createClient({ url: JSON.parse(params.get("nodes")), token: params.get("token"), minDelayMs: 50, maxDelayMs: 1000 });
  window.received = [];
  window.rejoined = [];
  client.on("room:message", (m) => window.received.push({ seq: m.seq, text: m.text }));
  client.on("rejoined", (info) => window.rejoined.push(info));
  await client.ready();
  await client.rooms.join("talk", { since: 0 });
  window.joined = true;
</script>`;

interface PageState {
  received: Array<{ seq: number; text: string }>;
  rejoined: Array<{ room: string; recovered: boolean }>;
}

describe("SDK in Chromium across a kill -9 of its node", () => {
  const { client, closeAll } = sdkClients();
  let browser: Browser;
  let server: Server;
  let pageUrl: string;
  let d: Awaited<ReturnType<typeof startProcessDeployment>>;
  const out = mkdtempSync(join(tmpdir(), "interlinked-sdk-failover-"));
  beforeAll(async () => {
    const bundle = readFileSync((await buildSdk(out, { declarations: false })).browser);
    server = createServer((req, res) => {
      if (req.url?.startsWith("/interlinked.browser.js")) res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    d = await startProcessDeployment(2, { engine: "ws" });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    closeAll();
    await browser?.close();
    server?.close();
    await d?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it("reconnects, rejoins with since (recovered) and shows every acked message once, in order", async () => {
    const tenant = freshTenant("sdk-page-kill");
    const [node0, node1] = d.processes.map((p) => p.url) as [string, string];
    const bob = client({ url: node1, token: await mintToken(tenant, "bob") });
    await bob.ready();
    await bob.rooms.join("talk");
    const token = await mintToken(tenant, "page");
    await withPage(browser, "sdk-failover", async ({ page }) => {
      await page.goto(`${pageUrl}?nodes=${encodeURIComponent(JSON.stringify([node0, node1]))}&token=${encodeURIComponent(token)}`);
      await page.waitForFunction(() => (window as unknown as { joined?: boolean }).joined === true, undefined, { timeout: 20_000 });
      const state = (): Promise<PageState> =>
        page.evaluate(() => {
          const w = window as unknown as PageState;
          return { received: w.received, rejoined: w.rejoined };
        });

      // bob sends acked messages through node 1 while the page's node 0 is killed
      const acked: number[] = [];
      let sending = true;
      const sender = (async () => {
        for (let i = 1, extra = 0; sending || extra++ < 20; i++) {
          acked.push((await bob.rooms.send("talk", `bob-${i}`)).seq);
          await sleep(25);
        }
      })();
      await page.waitForFunction(() => (window as unknown as PageState).received.length >= 10, undefined, { timeout: 15_000 });
      const killedAt = Date.now();
      await d.processes[0]!.child.stop("SIGKILL");
      await page.waitForFunction(() => (window as unknown as PageState).rejoined.some((r) => r.room === "talk"), undefined, { timeout: 15_000 });
      const rejoinMs = Date.now() - killedAt;
      sending = false;
      await sender;
      await page.waitForFunction((n) => (window as unknown as PageState).received.length >= n, acked.length, { timeout: 15_000 });
      const { received, rejoined } = await state();
      console.log(`page rejoined ${rejoinMs} ms after kill -9; ${acked.length} acked, ${received.length} shown`);
      expect(rejoined.find((r) => r.room === "talk")?.recovered).toBe(true);
      expect(received.map((m) => m.seq)).toEqual(acked);
      expect(new Set(received.map((m) => m.text)).size).toBe(received.length);
    });
  }, 120_000);
});
