import { describe, expect, it } from "vitest";
import { mediaDefaults } from "../core/config";
import { waitingRoomScenario } from "./class-waiting-room.case";
import { startEmbeddedDeployment } from "./support/nodes";
import { serviceEnv } from "./support/services";

describe("class roster and waiting room, embedded (real mediasoup worker, werift peers, PGlite)", () => {
  it("a rostered student joins directly; an outsider waits, is admitted and receives media; a denied one gets no media and no class pushes", async () => {
    const deployment = await startEmbeddedDeployment({
      media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), rtcMinPort: 48_000, rtcMaxPort: 48_299 },
    });
    try {
      const url = (deployment.nodes[0] ?? expect.fail("no node")).url;
      await waitingRoomScenario(url, url, "school-w");
    } finally {
      await deployment.close();
    }
  }, 55_000);
});
