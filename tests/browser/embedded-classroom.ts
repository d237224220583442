import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { mediaDefaults } from "../../core/config";
import { launchChromium } from "../support/browser";
import { startEmbeddedDeployment, type Deployment } from "../support/nodes";
import { serviceEnv } from "../support/services";

/** What a browser test of the classroom on one embedded node uses; valid inside the test bodies. */
export interface EmbeddedClassroom {
  readonly browser: Browser;
  readonly node: Deployment["nodes"][number];
  /** The node's base URL (it serves the classroom page). */
  readonly base: string;
}

/**
 * Registers the file's beforeAll/afterAll: one node as `npm start` runs it (embedded: PGlite, in-memory
 * bus and signaling) with the class tier on (one mediasoup worker, 300 RTC ports from `rtcMinPort`, which
 * each test file keeps apart from the others'), and Debian's Chromium.
 */
export function embeddedClassroom(rtcMinPort: number): EmbeddedClassroom {
  let deployment: Deployment | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment({
      media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), listenIp: "127.0.0.1", rtcMinPort, rtcMaxPort: rtcMinPort + 299 },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await deployment?.close();
  });
  const node = (): Deployment["nodes"][number] => deployment?.nodes[0] ?? expect.fail("the embedded node did not start");
  return {
    get browser() {
      return browser ?? expect.fail("Chromium did not start");
    },
    get node() {
      return node();
    },
    get base() {
      return node().url;
    },
  };
}
