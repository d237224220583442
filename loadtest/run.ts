/**
 * `npm run loadtest -- --script idle-soak --url http://127.0.0.1:8080 --sockets 100000 --processes 8 [--hold 300]`
 *
 * Runs one k6 scenario (loadtest/scenarios/<script>.js) split across `--processes` k6 processes, each with
 * its own share of the sockets and its own range of loopback source addresses (127.<10+p>.0.1…), so no
 * source address carries more than `--per-ip` sockets (default 10,000; ~12k is where connect rates
 * collapse on this machine). Extra `KEY=VALUE` arguments become scenario environment. Prints one merged
 * summary (counters summed, latency percentiles as the worst process's) and exits non-zero when any
 * process's thresholds failed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    script: { type: "string", default: "connect-storm" },
    url: { type: "string", default: "http://127.0.0.1:8080" },
    sockets: { type: "string", default: "100" },
    processes: { type: "string", default: "1" },
    "per-ip": { type: "string", default: "10000" },
    "per-vu": { type: "string", default: "500" },
    hold: { type: "string", default: "30" },
    rate: { type: "string", default: "10" },
    k6: { type: "string", default: process.env.K6_BIN ?? "k6" },
    secret: { type: "string", default: process.env.AUTH_SECRET ?? "" },
    tenant: { type: "string", default: "loadtest" },
  },
});

export interface ProcessSummary {
  code: number;
  metrics: Record<string, Record<string, number>>;
  output: string;
}

const processes = Math.max(1, Number(args.processes));
const total = Number(args.sockets);
const perIp = Number(args["per-ip"]);
const dir = mkdtempSync(join(tmpdir(), "interlinked-k6-"));

function runOne(p: number): Promise<ProcessSummary> {
  const share = Math.floor(total / processes) + (p < total % processes ? 1 : 0);
  const ips = Math.max(1, Math.ceil(share / perIp));
  const perVu = Math.min(Number(args["per-vu"]), perIp);
  const summary = join(dir, `summary-${p}.json`);
  const env = {
    ...process.env,
    URL: args.url,
    SOCKETS: String(share),
    TOTAL_SOCKETS: String(total),
    PER_VU: String(perVu),
    HOLD_S: args.hold,
    RATE: args.rate,
    PROCESS: String(p),
    TENANT: args.tenant,
    AUTH_SECRET: args.secret,
    ...Object.fromEntries(positionals.map((kv) => kv.split("=", 2) as [string, string])),
  };
  const k6Args = ["run", "--quiet", "--no-usage-report", `--summary-export=${summary}`, `--local-ips=127.${10 + p}.0.1-127.${10 + p}.0.${ips}`, join(here, "scenarios", `${args.script}.js`)];
  return new Promise((resolve) => {
    const child = spawn(args.k6, k6Args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => {
      let metrics: ProcessSummary["metrics"] = {};
      try {
        metrics = (JSON.parse(readFileSync(summary, "utf8")) as { metrics: ProcessSummary["metrics"] }).metrics;
      } catch {
        // no summary: k6 failed before the end; the output says why
      }
      resolve({ code: code ?? -1, metrics, output });
    });
  });
}

/** Counters summed; trends: the worst process's percentile (an upper bound of the merged one). */
export function mergeSummaries(parts: ProcessSummary[]): Record<string, Record<string, number>> {
  const merged: Record<string, Record<string, number>> = {};
  for (const part of parts) {
    for (const [name, values] of Object.entries(part.metrics)) {
      const into = (merged[name] ??= {});
      for (const [k, v] of Object.entries(values)) {
        if (typeof v !== "number") continue;
        into[k] = k === "count" || k === "rate" ? (into[k] ?? 0) + v : Math.max(into[k] ?? v, v);
      }
    }
  }
  return merged;
}

const started = Date.now();
const parts = await Promise.all(Array.from({ length: processes }, (_, p) => runOne(p)));
const merged = mergeSummaries(parts);
console.log(`[loadtest] ${args.script}: ${total} sockets over ${processes} k6 process(es), ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const name of Object.keys(merged).filter((n) => n.startsWith("sio_") || n === "iterations").sort()) {
  console.log(`[loadtest]   ${name} ${Object.entries(merged[name] ?? {}).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`).join(" ")}`);
}
const failed = parts.filter((p) => p.code !== 0);
for (const f of failed) console.log(`[loadtest] a k6 process exited ${f.code}:\n${f.output.slice(-3000)}`);
rmSync(dir, { recursive: true, force: true });
process.exit(failed.length > 0 ? 1 : 0);
