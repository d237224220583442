import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxDefaults, renderNginxConfig } from "../../nginx/render-config";
import { startNginx } from "../../tools/services/nginx";
import { freePort } from "../../tools/services/process";
import { serviceEnv } from "./services";

/**
 * nginx with the production config in front of a process deployment's nodes, each under its sticky route
 * `n<i>` (the nodes run with STICKY_ROUTE=n<i>): clients connect to `url`; `stop()` also removes its directory.
 */
export async function startNginxFront(nodes: Array<{ url: string }>, name: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `interlinked-${name}-`));
  const port = await freePort();
  const nginx = await startNginx({
    bin: serviceEnv("NGINX_BIN"),
    dir,
    port,
    config: renderNginxConfig({ ...nginxDefaults, sockets: 1_000, listen: `127.0.0.1:${port}`, nodes: nodes.map((n, i) => ({ route: `n${i}`, address: new URL(n.url).host })), runDir: dir }),
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await nginx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
