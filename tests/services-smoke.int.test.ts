import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorker } from "mediasoup";
import { describe, expect, it } from "vitest";
import { freePort } from "../tools/services/process";
import { startNginx } from "../tools/services/nginx";
import { connectClient, emitWithAck, nextEvent } from "./support/clients";
import { mintToken, startEmbeddedDeployment } from "./support/nodes";
import { serviceEnv } from "./support/services";

describe("real nginx in front of a node", () => {
  it("proxies the API and Socket.IO (long-polling and websocket)", async () => {
    const deployment = await startEmbeddedDeployment();
    const dir = mkdtempSync(join(tmpdir(), "interlinked-nginx-"));
    const port = await freePort();
    const upstream = new URL((deployment.nodes[0] ?? expect.fail("no node")).url).host;
    const nginx = await startNginx({
      bin: serviceEnv("NGINX_BIN"),
      dir,
      port,
      config: `
        map $http_upgrade $connection_upgrade { default upgrade; '' close; }
        server {
          listen 127.0.0.1:${port};
          location / {
            proxy_pass http://${upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 60s;
          }
        }`,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const health = await fetch(`${url}/health/ready`);
      expect(health.status).toBe(200);
      const polling = await connectClient(url, await mintToken("school-a", "p"), ["polling"]);
      const ws = await connectClient(url, await mintToken("school-a", "w"), ["websocket"]);
      for (const c of [polling, ws]) await emitWithAck(c, "room:join", { room: "via-nginx" });
      const got = nextEvent<{ text: string }>(ws, "room:message");
      expect(await emitWithAck(polling, "room:message", { room: "via-nginx", text: "through nginx" })).toMatchObject({ seq: 1 });
      expect((await got).text).toBe("through nginx");
      polling.close();
      ws.close();
    } finally {
      await nginx.stop();
      await deployment.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("real mediasoup worker", () => {
  it("starts, creates a router with opus and VP8 and a WebRTC transport on loopback", async () => {
    const worker = await createWorker({ workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), logLevel: "warn", rtcMinPort: 40000, rtcMaxPort: 40100 });
    try {
      const router = await worker.createRouter({
        mediaCodecs: [
          { kind: "audio", mimeType: "audio/opus", clockRate: 48000, channels: 2 },
          { kind: "video", mimeType: "video/VP8", clockRate: 90000 },
        ],
      });
      expect(router.rtpCapabilities.codecs?.map((c) => c.mimeType)).toEqual(expect.arrayContaining(["audio/opus", "video/VP8"]));
      const transport = await router.createWebRtcTransport({ listenInfos: [{ protocol: "udp", ip: "127.0.0.1" }] });
      expect(transport.iceCandidates[0]?.address).toBe("127.0.0.1");
      expect((await worker.getResourceUsage()).ru_maxrss).toBeGreaterThan(0);
    } finally {
      worker.close();
    }
  });
});
