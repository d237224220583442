import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, withPage } from "../support/browser";

// The harness every browser test stands on: Debian's Chromium, headless, with fake camera and microphone
// that a page can capture and send over WebRTC, decoded on the other side.
const PAGE = `<!doctype html><meta charset="utf-8"><title>harness</title><video id="v" autoplay muted playsinline></video>
<script type="module">
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  b.ontrack = (e) => { if (e.track.kind === "video") document.getElementById("v").srcObject = new MediaStream([e.track]); };
  for (const t of media.getTracks()) a.addTrack(t, media);
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  window.stats = async () => { const out = {}; (await b.getStats()).forEach((s) => { if (s.type === "inbound-rtp") out[s.kind] = { framesDecoded: s.framesDecoded ?? 0, bytes: s.bytesReceived, frameWidth: s.frameWidth ?? 0 }; }); return out; };
  window.captured = media.getTracks().map((t) => t.kind + ":" + t.label);
</script>`;

describe("Chromium with fake media", () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(PAGE));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("captures the fake camera and microphone and decodes them over WebRTC", async () => {
    await withPage(browser, "harness", async ({ page }) => {
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { captured?: string[] }).captured !== undefined, undefined, { timeout: 20_000 });
      const captured = await page.evaluate(() => (window as unknown as { captured: string[] }).captured);
      expect(captured.map((c) => c.split(":")[0]).sort()).toEqual(["audio", "video"]);
      await page.waitForFunction(() => (document.getElementById("v") as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 20_000 });
      type Stats = Record<string, { framesDecoded: number; bytes: number; frameWidth: number }>;
      const stats = (): Promise<Stats> => page.evaluate(() => (window as unknown as { stats(): Promise<Stats> }).stats());
      const first = await stats();
      await page.waitForTimeout(1_000);
      const later = await stats();
      expect(later.video?.framesDecoded ?? 0).toBeGreaterThan(first.video?.framesDecoded ?? 0);
      expect(later.audio?.bytes ?? 0).toBeGreaterThan(first.audio?.bytes ?? 0);
    });
  }, 60_000);
});
