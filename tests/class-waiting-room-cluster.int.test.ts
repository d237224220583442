import { describe, expect, it } from "vitest";
import { waitingRoomScenario } from "./class-waiting-room.case";
import { startDistributedDeployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";
import { serviceEnv } from "./support/services";

describe("class roster and waiting room, distributed (PostgreSQL, Kafka, Redis; students on another node than the media node)", () => {
  it("a rostered student joins directly; an outsider waits, is admitted and receives media; a denied one gets no media and no class pushes", async () => {
    const deployment = await startDistributedDeployment(2, (i) => ({
      media: { enabled: i === 0, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), listenIp: "127.0.0.1", rtcMinPort: 48_300, rtcMaxPort: 48_599, consumersPerRouter: 100, signalingTimeoutMs: 5_000 },
    }));
    try {
      const url = (i: number): string => (deployment.nodes[i] ?? expect.fail("no node")).url;
      await waitingRoomScenario(url(0), url(1), freshTenant("waiting"));
    } finally {
      await deployment.close();
    }
  }, 55_000);
});
