import { describe, expect, it } from "vitest";
import { NGINX_HEADROOM, nginxSizing } from "./render-config";

describe("nginxSizing", () => {
  it("leaves room for 1.5 × the connections of the sockets it is sized for, within the file limit", () => {
    for (const sockets of [1_000, 30_000, 39_000, 100_000]) {
      const { workers, workerConnections, rlimit } = nginxSizing(sockets, 20_000);
      expect(workerConnections).toBeLessThanOrEqual(rlimit - 200);
      // two connections per proxied socket (client and upstream)
      expect(workers * workerConnections).toBeGreaterThanOrEqual(sockets * 2 * NGINX_HEADROOM);
    }
    // the reconnect storm's 39,000 sockets: 4 workers had left no room
    expect(nginxSizing(39_000, 20_000).workers).toBe(6);
    expect(nginxSizing(100_000, 20_000).workers).toBe(16);
  });
});
