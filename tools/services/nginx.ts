import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnService, waitUntil, type ServiceProcess } from "./process";

/**
 * Runs nginx in the foreground with a config body (the `http { ... }` contents or a whole config with
 * `events`), all its paths under `dir`. Used by tests that put real nginx in front of nodes.
 */
export async function startNginx(options: { bin: string; dir: string; config: string; port: number }): Promise<ServiceProcess> {
  mkdirSync(join(options.dir, "logs"), { recursive: true });
  const conf = join(options.dir, "nginx.conf");
  const whole = options.config.includes("events") ? options.config : `events { worker_connections 4096; }\nhttp {\n${options.config}\n}\n`;
  // A complete config (nginx/render-config.ts with runDir) brings its own pid, logs and workers.
  const head = whole.includes("worker_processes") ? "" : `pid ${join(options.dir, "nginx.pid")};\nerror_log ${join(options.dir, "logs", "error.log")} warn;\nworker_processes 1;\n`;
  writeFileSync(conf, `${head}${whole}`);
  const proc = spawnService({
    name: "nginx",
    command: options.bin,
    args: ["-p", options.dir, "-c", conf, "-g", "daemon off;"],
    logFile: join(options.dir, "logs", "stdout.log"),
  });
  await waitUntil(
    "nginx",
    async () => {
      const res = await fetch(`http://127.0.0.1:${options.port}/`).catch(() => undefined);
      return res !== undefined;
    },
    { timeoutMs: 10_000, proc },
  );
  return proc;
}
