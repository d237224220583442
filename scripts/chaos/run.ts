/**
 * The chaos run: starts the cluster and the clients, then for each selected fault runs one phase —
 * traffic, the fault (held, then healed), traffic to the phase's end, in-flight sends settled — and
 * checks the invariants against PostgreSQL. Returns one result per fault (report.ts prints them).
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { cpuShare, cpuSnapshot } from "./cpu-share";
import { startChaosCluster, type ChaosCluster, type PartSource } from "./cluster";
import { startClients, type ClientDriver } from "./driver";
import { faultsByName, type Fault, type FaultName } from "./faults";
import { checkGivenUp, checkInvariants, type InvariantResult } from "./invariants";
import { pollReadiness, probeEngineOpen, startCrossNodeProbe, type CrossNodeProbe, type CrossNodeSummary, type OpenProbe, type ReadinessPoller, type ReadinessWindow } from "./probes";

export interface ChaosOptions {
  clients: number;
  processes: number;
  /** Keyed messages per second over all clients. */
  rate: number;
  roomSize: number;
  chatShare: number;
  ghostsPerProcess: number;
  /** Traffic per phase, ms (made longer where a fault is held longer). */
  durationMs: number;
  faults: FaultName[];
  nodes: number;
  workers: number;
  engine: "ws" | "uws";
  kafkaJit: "c1" | "c2";
  redis: PartSource;
  kafka: PartSource;
  postgres: PartSource;
  postgresDownMs: number;
  partitionMs: number;
  /** Which Redis primary the Redis primary kill hits: the one serving the presence node set, or another. */
  redisKill: "node-set" | "other";
  /** How long the check waits for acked messages to reach PostgreSQL, ms. */
  catchUpMs: number;
  /** Keep the nodes' and workers' output in this directory. */
  keepLogs?: string;
  cpuProfDir?: string;
  /** The client processes' nice value (0: default). */
  clientNice?: number;
  /** The realtime nodes' nice value (0: default). */
  nodeNice?: number;
  log(line: string): void;
}

export interface FaultResult {
  fault: FaultName;
  summary: string;
  skipped?: string;
  error?: string;
  detail?: string;
  phaseMs?: number;
  sent?: number;
  /** Acked messages per second over the phase. */
  ackedPerSecond?: number;
  /** Acks per second before the fault (the warm-up), while it lasted (fault to heal), and after the heal. */
  ackRates?: { before: number; during: number; after: number };
  /** Clients whose connection dropped after the fault, and how many were back with every stream rejoined. */
  clientsDropped?: number;
  clientsBack?: number;
  /** From the fault to the last dropped client back and rejoined, ms (null: not all back). */
  reconnect100Ms?: number | null;
  /** Per client, from its own drop to back: median, 99th percentile and longest, ms (a drain drops its clients over its grace period, so this differs from reconnect100Ms). */
  dropToBackMs?: { p50: number; p99: number; max: number };
  recovered?: number;
  notRecovered?: number;
  invariants?: InvariantResult;
  /** From the fault to the last wrong presence sample, ms (0: never wrong). */
  presenceWrongMs?: number;
  presenceWrongSamples?: string;
  ghostsDropped?: number;
  /** Refusal acks seen on the wire from the fault to 1 s after the heal, by code (SDK retries included). */
  refusedDuringFault?: Record<string, number>;
  /** Sends that failed for good (after the SDK's retries), by code. */
  failedSends?: Record<string, number>;
  /** Longest silence of the cross-node probe after the fault, ms. */
  crossNodeGapMs?: number;
  /** The cross-node probe's sender side apart from its delivery across nodes (probes.ts). */
  crossNode?: CrossNodeSummary;
  /** The longest a room message took from sent to one member after the fault, and how many members waited > 10 s. */
  maxRoomDelayMs?: number;
  roomDelaysOver10s?: number;
  /** Holes in live streams the SDK fetched this phase. */
  gapFetches?: number;
  /** Seqs reconnect recoveries gave up, and how many of them PostgreSQL holds after the catch-up. */
  givenUp?: { seqs: number; stored: number };
  /** The target node's readiness after the fault. */
  targetReadiness?: { notReadyAfterMs: number | null; readyAgainAfterMs: number | null; statuses: Record<string, number> };
  loadAverage?: string;
}

export interface ChaosSummary {
  startedAt: string;
  machine: string;
  options: Omit<ChaosOptions, "log">;
  clientsConnected: number;
  results: FaultResult[];
}

const TENANT = "chaos-school";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const machine = (): string => `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} (shared with other work)`;
/** How long after the fault the machine's CPU is split by part (the reconnect storm of a node kill fits in it). */
const CPU_WINDOW_MS = 15_000;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(" ");

/** The kernel's count of connections dropped because a listen queue was full (TcpExtListenOverflows; this machine, all sockets). */
function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] as string).split(" ");
    const values = (lines[i + 1] as string).split(" ");
    const at = names.indexOf("ListenOverflows");
    if (names[0] === "TcpExt:" && at > 0) return Number(values[at]);
  }
  return 0;
}

/** One direct (not through nginx) group conversation per room's users, created over REST on node 0. */
async function createConversations(cluster: ChaosCluster, clients: number, roomSize: number): Promise<string[]> {
  const tokens = new TokenService({ ...authDefaults, secret: cluster.secret });
  const groups = Math.ceil(clients / roomSize);
  const ids: string[] = new Array<string>(groups);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups) {
      const g = next++;
      const users = Array.from({ length: Math.min(roomSize, clients - g * roomSize) }, (_, i) => `u${g * roomSize + i}`);
      const token = await tokens.sign({ tenant: TENANT, user: users[0] as string, role: "teacher" });
      const res = await fetch(`${(cluster.nodes[0] as { url: string }).url}/v1/conversations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ kind: "group", title: `group ${g}`, members: users.slice(1).length > 0 ? users.slice(1) : users }),
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`POST /v1/conversations: ${res.status} ${await res.text()}`);
      ids[g] = ((await res.json()) as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

function readinessOf(w: ReadinessWindow, t0: number): FaultResult["targetReadiness"] {
  return { notReadyAfterMs: w.firstNotReadyAt ? w.firstNotReadyAt - t0 : null, readyAgainAfterMs: w.readyAgainAt ? w.readyAgainAt - t0 : null, statuses: w.statuses };
}

/** Traffic before the fault, and the whole phase: long enough to hold the fault and watch the recovery. */
function phaseLength(o: ChaosOptions, fault: Fault): { warmupMs: number; phaseMs: number } {
  const warmupMs = Math.min(10_000, Math.round(o.durationMs / 4));
  return { warmupMs, phaseMs: Math.max(o.durationMs, warmupMs + fault.holdMs + 25_000) };
}

async function runPhase(o: ChaosOptions, fault: Fault, cluster: ChaosCluster, driver: ClientDriver, readiness: ReadinessPoller, target: number, opens: OpenProbe): Promise<FaultResult> {
  o.log(`--- ${fault.name}: ${fault.summary} (phase ${Math.round(phaseLength(o, fault).phaseMs / 1000)} s, load ${load()})`);
  await driver.phase(fault.name);
  // the probes send and receive on the two nodes the fault does not target
  const n = cluster.nodes.length;
  const urlOf = (i: number): string => (cluster.nodes[i % n] as { url: string }).url;
  const probe = await startCrossNodeProbe({ sendUrl: urlOf(target + 1), receiveUrl: urlOf(n > 2 ? target + 2 : target + 1), secret: cluster.secret, tenant: TENANT }).catch((err: unknown) => {
    o.log(`${fault.name}: cross-node probe did not start (${String(err)}); no cross-node figure`);
    return undefined;
  });
  try {
    return await measurePhase(o, fault, cluster, driver, readiness, target, probe, opens);
  } finally {
    probe?.close();
  }
}

async function measurePhase(o: ChaosOptions, fault: Fault, cluster: ChaosCluster, driver: ClientDriver, readiness: ReadinessPoller, target: number, probe: CrossNodeProbe | undefined, opens: OpenProbe): Promise<FaultResult> {
  const { warmupMs, phaseMs } = phaseLength(o, fault);
  const phaseStart = Date.now();
  const overflowsBefore = listenOverflows();
  const cpuAtStart = cpuSnapshot();
  await sleep(warmupMs);
  const t0 = Date.now();
  driver.fault(t0);
  const cpuAtFault = cpuSnapshot();
  o.log(`${fault.name}: the machine's CPU over the ${warmupMs / 1000} s before the fault (of ${(cpus().length * warmupMs) / 1000} CPU s), by part: ${cpuShare(cpuAtStart, cpuAtFault)}`);
  const cpuAfterFault = sleep(CPU_WINDOW_MS).then(cpuSnapshot);
  const clientsBack = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await driver.status();
      if (Date.now() - t0 > 3_000 && s.back >= s.disconnected) return;
      await sleep(500);
    }
  };
  const run = await fault.inject({ cluster, target, at: t0, log: o.log, clientsBack });
  driver.healed(run.healedAt);
  o.log(`${fault.name}: healed ${run.healedAt - t0} ms after the fault`);
  await clientsBack(30_000);
  await sleep(Math.max(0, phaseStart + phaseMs - Date.now()));
  const crossNodeGapMs = probe?.longestGapSince(t0);
  const crossNode = probe?.summarySince(t0);
  if (crossNode) {
    const c = crossNode;
    const refused = Object.entries(c.refused).map(([k, v]) => `${k}×${v}`).join(", ") || "none";
    o.log(`${fault.name}: cross-node probe after the fault: ${c.acked} acked of ${c.sent} sent, refused ${refused}, longest span without an ack ${c.longestAckGapMs} ms; delivery across nodes: ${c.late} late (≥ 1 s after the ack), ${c.missing} never arrived, longest ${c.maxDeliveryMs} ms, all within 1 s from +${(c.deliveryBackAfterMs / 1000).toFixed(1)} s`);
  }
  // sends still unacked 20 s after traffic stopped are reported as in flight (the SDK keeps them 60 s)
  const report = await driver.report(20_000);
  const elapsed = Date.now() - phaseStart;
  for (const line of report.diagnosis) o.log(`${fault.name}: ${line}`);
  o.log(`${fault.name}: the machine's CPU over the fault's first ${CPU_WINDOW_MS / 1000} s (of ${(cpus().length * CPU_WINDOW_MS) / 1000} CPU s), by part: ${cpuShare(cpuAtFault, await cpuAfterFault)}`);
  o.log(`${fault.name}: connections dropped on full listen queues this phase (kernel, whole machine): ${listenOverflows() - overflowsBefore}`);
  o.log(`${fault.name}: Engine.IO open, straight to each node, after the fault: ${engineOpens(cluster, opens, t0)}`);
  o.log(`${fault.name}: server time to answer (mean since start, per node): ${await ackTimes(cluster)}`);
  const times = [...report.dropToBackMs].sort((a, b) => a - b);
  const pick = (p: number): number => times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0;
  const rate = (from: number, to: number): number => Math.round((report.acked.filter((a) => a.a >= from && a.a < to).length / Math.max(1, to - from)) * 1000 * 10) / 10;
  const ackRates = { before: rate(phaseStart, t0), during: rate(t0, run.healedAt), after: rate(run.healedAt, phaseStart + phaseMs) };
  o.log(`${fault.name}: holes in live streams fetched by the SDK this phase (room:join / chat:sync with since): ${report.gapFetches}, of which gave seqs up ${report.gapSkips}; messages delivered late (after their seq was given up on) ${report.lates}`);
  o.log(`${fault.name}: reconnect recoveries not vouched (recovered: false), why: ${JSON.stringify(report.notRecoveredWhy)}`);
  o.log(`${fault.name}: acks/s before the fault ${ackRates.before}, while it lasted ${ackRates.during}, after the heal ${ackRates.after}`);
  o.log(`${fault.name}: ${report.acked.length} acked of ${report.sent} sent; checking PostgreSQL`);
  const invariants = await checkInvariants(cluster.databaseUrl, TENANT, fault.name, report.acked, o.catchUpMs);
  const ackedAt = new Map(report.acked.map((a) => [a.t, a.a]));
  const givenUp = await checkGivenUp(cluster.databaseUrl, TENANT, report.givenUp, t0, (text) => ackedAt.get(text));
  if (givenUp.seqs > 0) o.log(`${fault.name}: seqs given up by reconnect recoveries (up to 100 per client process): ${givenUp.seqs} in ${givenUp.streams} streams, ${givenUp.stored} of them in PostgreSQL after the catch-up (times from the fault); ${givenUp.samples.join("; ")}`);
  if (invariants.seqMismatch > 0) o.log(`${fault.name}: stored with another seq than acked: ${invariants.seqMismatchSamples.join("; ")}`);
  return {
    fault: fault.name,
    summary: fault.summary,
    detail: run.detail,
    phaseMs: elapsed,
    sent: report.sent,
    ackedPerSecond: Math.round(report.acked.length / (phaseMs / 1000)),
    ackRates,
    clientsDropped: report.disconnected,
    clientsBack: report.back,
    reconnect100Ms: report.disconnected === 0 ? 0 : report.back === report.disconnected ? report.lastBackAt - t0 : null,
    ...(times.length > 0 ? { dropToBackMs: { p50: pick(0.5), p99: pick(0.99), max: times.at(-1) ?? 0 } } : {}),
    recovered: report.recovered,
    notRecovered: report.notRecovered,
    invariants,
    presenceWrongMs: report.presenceWrongLastAt > 0 ? report.presenceWrongLastAt - t0 : 0,
    presenceWrongSamples: `${report.presenceWrongSamples}/${report.presenceSamples}`,
    ghostsDropped: report.ghostsDropped,
    refusedDuringFault: report.refusedDuringFault,
    failedSends: report.failed,
    crossNodeGapMs,
    ...(crossNode ? { crossNode } : {}),
    maxRoomDelayMs: report.maxRoomDelayMs,
    roomDelaysOver10s: report.roomDelaysOver10s,
    gapFetches: report.gapFetches,
    givenUp: { seqs: givenUp.seqs, stored: givenUp.stored },
    targetReadiness: readinessOf(readiness.window(target, t0), t0),
    loadAverage: load(),
  };
}

/** Per node: its Engine.IO open times since `t0` (p50 / max) and until when one took over 1 s. */
function engineOpens(cluster: ChaosCluster, opens: OpenProbe, t0: number): string {
  return cluster.nodes
    .map((n, i) => {
      const { times, slowLastAt } = opens.window(i, t0);
      const sorted = [...times].sort((a, b) => a - b);
      if (sorted.length === 0) return `${n.id} no sample`;
      const slow = slowLastAt > 0 ? `, over 1 s until +${((slowLastAt - t0) / 1000).toFixed(1)} s` : "";
      return `${n.id} p50 ${sorted[Math.floor(sorted.length / 2)]} / max ${sorted.at(-1)} ms (${sorted.length}${slow})`;
    })
    .join("; ");
}

/** Each reachable node's mean time to answer room:join and chat:sync since it started (its ack histogram). */
async function ackTimes(cluster: ChaosCluster): Promise<string> {
  const parts = await Promise.all(
    cluster.nodes.map(async (n) => {
      const text = await fetch(`${n.url}/metrics`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.text(), () => "");
      const mean = (event: string): string => {
        const sum = Number(new RegExp(`^interlinked_realtime_ack_duration_seconds_sum\\{[^}]*event="${event}"[^}]*\\} (\\S+)$`, "m").exec(text)?.[1]);
        const count = Number(new RegExp(`^interlinked_realtime_ack_duration_seconds_count\\{[^}]*event="${event}"[^}]*\\} (\\S+)$`, "m").exec(text)?.[1]);
        return count > 0 ? `${event} ${Math.round((sum / count) * 1000)} ms × ${count}` : `${event} —`;
      };
      return text === "" ? `${n.id} unreachable` : `${n.id}: ${mean("room:join")}, ${mean("chat:sync")}, ${mean("room:message")}`;
    }),
  );
  return parts.join("; ");
}

export async function runChaos(o: ChaosOptions): Promise<ChaosSummary> {
  const startedAt = new Date().toISOString();
  const cluster = await startChaosCluster({ nodes: o.nodes, workers: o.workers, engine: o.engine, kafkaJit: o.kafkaJit, redisProxies: o.faults.includes("redis-partition"), redis: o.redis, kafka: o.kafka, postgres: o.postgres, sockets: Math.max(2_000, Math.ceil(o.clients * 1.3)), tenant: TENANT, keepLogs: o.keepLogs, cpuProfDir: o.cpuProfDir, nodeNice: o.nodeNice, log: o.log });
  let driver: ClientDriver | undefined;
  const readiness = pollReadiness(cluster.nodes.map((n) => n.url));
  const opens = probeEngineOpen(cluster.nodes.map((n) => n.url));
  const results: FaultResult[] = [];
  try {
    const conversations = await createConversations(cluster, o.clients, o.roomSize);
    o.log(`${conversations.length} conversations created; starting ${o.clients} clients in ${o.processes} processes`);
    driver = await startClients({
      processes: o.processes,
      clients: o.clients,
      rate: o.rate,
      plan: { url: cluster.url, secret: cluster.secret, tenant: TENANT, roomSize: o.roomSize, conversations, chatShare: o.chatShare, ghosts: o.ghostsPerProcess },
      ...(o.cpuProfDir === undefined ? {} : { cpuProfDir: o.cpuProfDir }),
      ...(o.clientNice ? { nice: o.clientNice } : {}),
      log: o.log,
    });
    // node faults take the nodes in turn (1, 2, 0, …): a node restarted after a fault holds few clients
    let nodeFaults = 0;
    const faults = faultsByName(o);
    for (const name of o.faults) {
      const fault = faults[name];
      const why = fault.unavailable(cluster);
      if (why) {
        o.log(`--- ${name}: skipped (${why})`);
        results.push({ fault: name, summary: fault.summary, skipped: why });
        continue;
      }
      try {
        const target = fault.hitsNode ? (1 + nodeFaults++) % cluster.nodes.length : 1;
        results.push(await runPhase(o, fault, cluster, driver, readiness, target, opens));
      } catch (err) {
        o.log(`--- ${name}: failed: ${err instanceof Error ? err.stack : String(err)}`);
        results.push({ fault: name, summary: fault.summary, error: err instanceof Error ? err.message : String(err) });
      }
    }
    const { log: _log, ...options } = o;
    return { startedAt, machine: machine(), options, clientsConnected: driver.started, results };
  } finally {
    readiness.stop();
    opens.stop();
    await driver?.stop().catch(() => undefined);
    await cluster.stop();
  }
}
