import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk } from "../../sdk/build";
import { createClient, type InterlinkedClient } from "../../sdk/src/index";
import { launchChromium, withPage } from "../support/browser";
import { eventually } from "../support/clients";
import { mintToken, startEmbeddedDeployment, type Deployment } from "../support/nodes";
import { freshTenant } from "../support/realtime";

// The SDK's browser bundle (sdk/dist/interlinked.browser.js) in Chromium, talking to a real node.
const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">
  import { createClient, ErrorCode, isInterlinkedError } from "./interlinked.browser.js";
  const params = new URLSearchParams(location.search);
  const client = createClient({ url: params.get("node"), token: params.get("token") });
  window.received = [];
  client.on("room:message", (m) => window.received.push(m.text));
  await client.ready();
  await client.rooms.join("browser");
  const sent = await client.rooms.send("browser", "from chromium");
  const bad = await client.rooms.join("bad:room").catch((e) => e);
  window.result = { user: client.user, seq: sent.seq, badCode: isInterlinkedError(bad) ? bad.code : null, named: ErrorCode.InvalidRoomName };
</script>`;

describe("SDK browser bundle in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let deployment: Deployment;
  let pageUrl: string;
  const out = mkdtempSync(join(tmpdir(), "interlinked-sdk-browser-"));
  let node: InterlinkedClient | undefined;
  beforeAll(async () => {
    const built = await buildSdk(out, { declarations: false });
    const bundle = readFileSync(built.browser);
    server = createServer((req, res) => {
      if (req.url?.startsWith("/interlinked.browser.js")) res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    deployment = await startEmbeddedDeployment();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    node?.close();
    await browser?.close();
    server?.close();
    await deployment?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it("connects, joins, sends and receives, and reports numbered errors", async () => {
    const tenant = freshTenant("sdk-browser");
    const nodeUrl = (deployment.nodes[0] as { url: string }).url;
    node = createClient({ url: nodeUrl, token: await mintToken(tenant, "nodejs") });
    const seen: string[] = [];
    node.on("room:message", (m) => seen.push(`${m.user}:${m.text}`));
    await node.rooms.join("browser");
    const token = await mintToken(tenant, "chromium");
    await withPage(browser, "sdk-bundle", async ({ page }) => {
      await page.goto(`${pageUrl}?node=${encodeURIComponent(nodeUrl)}&token=${encodeURIComponent(token)}`);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 20_000 });
      expect(await page.evaluate(() => (window as unknown as { result: unknown }).result)).toEqual({ user: "chromium", seq: 1, badCode: 1004, named: 1004 });
      await eventually(async () => seen, (s) => s.includes("chromium:from chromium"));
      await node?.rooms.send("browser", "from node");
      await page.waitForFunction(() => (window as unknown as { received: string[] }).received.includes("from node"), undefined, { timeout: 10_000 });
    });
  }, 90_000);
});
