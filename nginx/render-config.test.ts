import { describe, expect, it } from "vitest";
import { NGINX_HEADROOM, nginxDefaults, nginxSizing, renderNginxConfig } from "./render-config";

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

describe("upstream source addresses", () => {
  const render = (upstreamSources?: string[]) =>
    renderNginxConfig({ ...nginxDefaults, listen: "127.0.0.1:8080", nodes: [{ route: "n0", address: "127.0.0.1:3000" }], ...(upstreamSources ? { upstreamSources } : {}) });

  it("spreads the connections to the nodes over the given addresses in equal shares, the last taking the rest", () => {
    const conf = render(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    expect(conf).toContain('split_clients "$remote_addr$remote_port" $upstream_source {\n    33.33% 127.0.0.1;\n    33.33% 127.0.0.2;\n    * 127.0.0.3;\n  }');
    expect(conf).toContain("proxy_bind $upstream_source;");
  });

  it("binds nothing when none are given (the host's one address)", () => {
    expect(render()).not.toContain("proxy_bind");
    expect(render([])).not.toContain("split_clients");
  });
});
