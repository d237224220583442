/**
 * `tsx scripts/bench/profile-summary.ts <file.cpuprofile> [--connects N] [--cpu-seconds S]`: where a
 * node's CPU went during a connect storm, by what a connect does (JWT, revocation, lease, presence, Kafka
 * session event, notification backlog, Socket.IO/Engine.IO handshake, Redis client, GC, …).
 *
 * Only the busiest contiguous stretch of the profile is counted (the storm; start-up and shut-down are
 * separated from it by idle seconds), or the one given by `--from` / `--to` (seconds into the profile). Frames of the production bundle are mapped back to their source
 * files through the bundle's source map. A sample is charged to the deepest frame of one of this
 * repository's feature modules on its stack (so the Redis commands `presence` builds count as presence),
 * else to the deepest library frame it recognizes, else to its leaf. With `--connects` and
 * `--cpu-seconds` (process CPU over the storm, from /proc), each row is also given in µs per connect.
 * Summarize a profile before dist/ is rebuilt: its frames are mapped through the bundle it ran.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Feature modules of this repository (matched first, deepest frame wins), then libraries. */
const FEATURES: Array<[string, RegExp]> = [
  ["JWT verify (jose)", /core\/auth\.ts|node_modules\/jose\//],
  ["revocation check", /core\/revocation\//],
  ["connection lease / quota", /realtime\/quotas\.ts|realtime\/state\/keyed-state|realtime\/connection-leases|db\/stores\/tenant-limits/],
  ["presence", /realtime\/presence\//],
  ["Kafka session event", /core\/bus\/|core\/contracts\/streams|node_modules\/kafkajs\//],
  ["notification backlog", /realtime\/backlog-loader|db\/stores\/notifications|notification-delivery/],
  ["handlers, expiry timer, user room", /realtime\/handlers\/|realtime\/event-handler|realtime\/token-lifetime/],
  ["connect lifecycle (other)", /realtime\/lifecycle\.ts|realtime\/auth-middleware\.ts/],
  ["maintenance / heartbeat", /realtime\/maintenance|realtime\/node-liveness/],
  ["admission guard", /realtime\/load-guard/],
];
const LIBRARIES: Array<[string, RegExp]> = [
  ["Redis client (ioredis, adapter)", /node_modules\/(ioredis|@ioredis|redis-parser|@socket\.io\/redis-adapter|rate-limiter-flexible)\//],
  ["PostgreSQL (pg, drizzle)", /node_modules\/(pg|pg-protocol|pg-pool|drizzle-orm)\//],
  ["Socket.IO / Engine.IO handshake", /node_modules\/(socket\.io|socket\.io-adapter|socket\.io-parser|engine\.io|engine\.io-parser)\//],
  ["WebSocket transport (uWS / ws)", /node_modules\/(uWebSockets\.js|ws)\//],
  ["logging / metrics", /node_modules\/(pino|prom-client)|core\/log|core\/metrics/],
  ["Node internals (net, timers, streams)", /^node:/],
];
const SPECIAL: Record<string, string> = { "(garbage collector)": "GC", "(program)": "V8/native (program)", "(idle)": "idle" };

const { positionals, values } = parseArgs({ allowPositionals: true, options: { connects: { type: "string" }, "cpu-seconds": { type: "string" }, bucket: { type: "string", default: "200" }, detail: { type: "boolean", default: false }, from: { type: "string" }, to: { type: "string" } } });
const file = positionals[0];
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [--connects N] [--cpu-seconds S]");
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;

// source maps of bundled files, by url
const maps = new Map<string, SourceMap | null>();
function sourceOf(frame: CallFrame): string {
  if (!frame.url.startsWith("file://") || !frame.url.includes("/dist/")) return frame.url;
  let map = maps.get(frame.url);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(fileURLToPath(frame.url) + ".map", "utf8")) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
    maps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
  return entry?.originalSource ?? frame.url;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const categoryCache = new Map<number, string>();
function categorize(id: number): string {
  const hit = categoryCache.get(id);
  if (hit) return hit;
  const leaf = byId.get(id)!;
  let category = Object.hasOwn(SPECIAL, leaf.callFrame.functionName) ? SPECIAL[leaf.callFrame.functionName] : undefined; // not "constructor" of the prototype
  if (!category) {
    const stack: Array<{ src: string; fn: string }> = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push({ src: sourceOf(byId.get(at)!.callFrame), fn: byId.get(at)!.callFrame.functionName }); // leaf first
    const match = (rules: Array<[string, RegExp]>) => {
      for (const f of stack) {
        const rule = rules.find(([, re]) => re.test(f.src));
        if (rule) return { category: rule[0], frame: `${f.fn || "(anonymous)"} ${f.src.replace(/^.*node_modules\//, "").replace(/^(\.\.\/)+/, "")}` };
      }
      return undefined;
    };
    const found = match(FEATURES) ?? match(LIBRARIES);
    category = found?.category ?? `other (${stack[0]?.src || leaf.callFrame.functionName || "?"})`;
    frameOf.set(id, found?.frame ?? "");
  }
  categoryCache.set(id, category);
  return category;
}
const frameOf = new Map<number, string>();

// the busiest contiguous stretch: buckets whose non-idle share is ≥ 20 %
const bucketUs = Number(values.bucket) * 1000;
const times: number[] = [];
let t = 0;
for (const d of profile.timeDeltas) times.push((t += d));
const buckets = new Map<number, { busy: number; all: number }>();
profile.samples.forEach((id, i) => {
  const b = Math.floor(times[i]! / bucketUs);
  const e = buckets.get(b) ?? { busy: 0, all: 0 };
  e.all++;
  if (byId.get(id)!.callFrame.functionName !== "(idle)") e.busy++;
  buckets.set(b, e);
});
const lastBucket = Math.max(...buckets.keys());
let best = { from: 0, to: -1 };
for (let b = 0, from = -1; b <= lastBucket + 1; b++) {
  const e = buckets.get(b);
  const busy = e !== undefined && e.busy / e.all >= 0.2;
  if (busy && from < 0) from = b;
  if (!busy && from >= 0) {
    if (b - from > best.to - best.from + 1) best = { from, to: b - 1 };
    from = -1;
  }
}
// `--from S --to S` (seconds into the profile) picks the stretch instead, e.g. the joins after a connect storm
if (values.from !== undefined && values.to !== undefined) best = { from: Math.floor((Number(values.from) * 1e6) / bucketUs), to: Math.floor((Number(values.to) * 1e6) / bucketUs) };
const totals = new Map<string, number>();
const leaves = new Map<string, number>();
let counted = 0;
profile.samples.forEach((id, i) => {
  const b = Math.floor(times[i]! / bucketUs);
  if (b < best.from || b > best.to) return;
  const c = categorize(id);
  if (c === "idle") return;
  totals.set(c, (totals.get(c) ?? 0) + 1);
  counted++;
  if (values.detail) {
    const f = byId.get(id)!.callFrame;
    const key = `${c} ← ${frameOf.get(id) || ""} ← leaf ${f.functionName || "(anonymous)"}`;
    leaves.set(key, (leaves.get(key) ?? 0) + 1);
  }
});
const connects = values.connects ? Number(values.connects) : undefined;
const cpuSeconds = values["cpu-seconds"] ? Number(values["cpu-seconds"]) : undefined;
const perConnectUs = connects && cpuSeconds ? (cpuSeconds * 1e6) / connects : undefined;
console.log(`storm stretch: ${(((best.to - best.from + 1) * bucketUs) / 1e6).toFixed(1)} s, ${counted} busy samples${perConnectUs ? `; ${Math.round(perConnectUs)} µs of process CPU per connect` : ""}`);
console.log(`| where | % of busy samples |${perConnectUs ? " µs per connect |" : ""}\n|---|---|${perConnectUs ? "---|" : ""}`);
const rows = [...totals].sort((a, b) => b[1] - a[1]);
const shown = rows.filter(([, n]) => n / counted >= 0.005);
const rest = rows.slice(shown.length).reduce((a, [, n]) => a + n, 0);
for (const [name, n] of [...shown, ...(rest ? ([["(rest, each < 0.5 %)", rest]] as Array<[string, number]>) : [])]) {
  const share = n / counted;
  console.log(`| ${name.replace(/^other \(file:\/\/[^)]*\/(node_modules\/[^/]+|[^/]+\/[^/]+)[^)]*\)$/, "other: $1")} | ${(100 * share).toFixed(1)} |${perConnectUs ? ` ${Math.round(share * perConnectUs)} |` : ""}`);
}
if (values.detail) {
  console.log("\nby category ← deepest matching frame ← leaf function (≥ 0.5 %):");
  for (const [k, n] of [...leaves].sort((a, b) => b[1] - a[1])) if (n / counted >= 0.005) console.log(`${(100 * n / counted).toFixed(1)} %  ${k}`);
}
