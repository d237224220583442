/**
 * The coordinator's side of the client processes: forks them (clients spread evenly, so no one process
 * is the bottleneck), starts their clients, and broadcasts phase / fault / heal / report commands,
 * merging the processes' reports into one.
 */
import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setPriority } from "node:os";
import type { ClientPlan, FromClient, PhaseReport, ToClient } from "./protocol";

const here = dirname(fileURLToPath(import.meta.url));

export interface DriverOptions {
  processes: number;
  clients: number;
  /** Messages per second over all processes. */
  rate: number;
  plan: Omit<ClientPlan, "first" | "count" | "rate" | "index">;
  /** Write each client process's CPU profile there (at its exit). */
  cpuProfDir?: string;
  /** The client processes' nice value (0: the same priority as the system under test). */
  nice?: number;
  log(line: string): void;
}

interface Proc {
  child: ChildProcess;
  next<T extends FromClient["type"]>(type: T, timeoutMs: number): Promise<Extract<FromClient, { type: T }>>;
  send(m: ToClient): void;
}

function forkClient(log: (line: string) => void, cpuProfDir: string | undefined, index: number): Proc {
  // a directory per process, Node's own file names: tsx's loader thread writes a profile too (no shared name)
  const profile = cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${join(cpuProfDir, `client-${index}`)}`];
  const child = fork(join(here, "client-process.ts"), [], { execArgv: ["--import", "tsx", "--max-old-space-size=1536", ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.setMaxListeners(0);
  const waiting = new Map<string, Array<(m: FromClient) => void>>();
  child.on("message", (m: FromClient) => {
    if (m.type === "log") return log(m.line);
    const list = waiting.get(m.type);
    list?.shift()?.(m);
  });
  return {
    child,
    send: (m) => void child.send(m),
    next: (type, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`client process: no ${type} within ${timeoutMs} ms`)), timeoutMs);
        const list = waiting.get(type) ?? [];
        list.push((m) => {
          clearTimeout(timer);
          resolve(m as Extract<FromClient, { type: typeof type }>);
        });
        waiting.set(type, list);
        child.once("exit", (code) => reject(new Error(`client process exited (${String(code)}) while waiting for ${type}`)));
      }),
  };
}

/** Adds b's counts into a. */
function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}

export function mergeReports(reports: PhaseReport[]): PhaseReport {
  const out: PhaseReport = {
    sent: 0, acked: [], failed: {}, refusedDuringFault: {}, refusedTotal: {}, disconnected: 0, back: 0, lastBackAt: 0, dropToBackMs: [], diagnosis: [],
    recovered: 0, notRecovered: 0, notRecoveredWhy: {}, givenUp: [], presenceWrongLastAt: 0, presenceWrongSamples: 0, presenceSamples: 0, ghostsDropped: 0, connected: 0, maxRoomDelayMs: 0, roomDelaysOver10s: 0, gapFetches: 0, gapSkips: 0, lates: 0,
  };
  for (const r of reports) {
    out.sent += r.sent;
    for (const a of r.acked) out.acked.push(a);
    addCounts(out.failed, r.failed);
    addCounts(out.refusedDuringFault, r.refusedDuringFault);
    addCounts(out.refusedTotal, r.refusedTotal);
    out.disconnected += r.disconnected;
    out.back += r.back;
    out.lastBackAt = Math.max(out.lastBackAt, r.lastBackAt);
    for (const ms of r.dropToBackMs) out.dropToBackMs.push(ms);
    out.diagnosis.push(...r.diagnosis);
    out.recovered += r.recovered;
    out.notRecovered += r.notRecovered;
    addCounts(out.notRecoveredWhy, r.notRecoveredWhy);
    out.givenUp.push(...r.givenUp);
    out.presenceWrongLastAt = Math.max(out.presenceWrongLastAt, r.presenceWrongLastAt);
    out.presenceWrongSamples += r.presenceWrongSamples;
    out.presenceSamples += r.presenceSamples;
    out.ghostsDropped += r.ghostsDropped;
    out.connected += r.connected;
    out.maxRoomDelayMs = Math.max(out.maxRoomDelayMs, r.maxRoomDelayMs);
    out.roomDelaysOver10s += r.roomDelaysOver10s;
    out.gapFetches += r.gapFetches;
    out.gapSkips += r.gapSkips;
    out.lates += r.lates;
  }
  return out;
}

export interface ClientDriver {
  /** Clients that connected and joined at start. */
  started: number;
  phase(name: string): Promise<void>;
  fault(at: number): void;
  healed(at: number): void;
  report(settleMs: number): Promise<PhaseReport>;
  status(): Promise<{ disconnected: number; back: number }>;
  stop(): Promise<void>;
}

export async function startClients(o: DriverOptions): Promise<ClientDriver> {
  const procs = Array.from({ length: o.processes }, (_, i) => forkClient(o.log, o.cpuProfDir, i));
  if (o.nice) for (const p of procs) if (p.child.pid !== undefined) setPriority(p.child.pid, o.nice);
  await Promise.all(procs.map((p) => p.next("ready", 30_000)));
  const per = Math.ceil(o.clients / o.processes);
  const started = await Promise.all(
    procs.map((p, index) => {
      const first = index * per;
      const count = Math.max(0, Math.min(per, o.clients - first));
      p.send({ cmd: "start", plan: { ...o.plan, first, count, index, rate: (o.rate * count) / o.clients } });
      return p.next("started", 10 * 60_000);
    }),
  );
  const connected = started.reduce((n, s) => n + s.connected, 0);
  o.log(`clients: ${connected}/${o.clients} connected and joined (${started.map((s) => `${s.connected} in ${(s.ms / 1000).toFixed(0)} s`).join(", ")})`);
  const broadcast = (m: ToClient): void => procs.forEach((p) => p.send(m));
  return {
    started: connected,
    async phase(name) {
      // every process answers the next report only after its phase began; ghosts connect first
      broadcast({ cmd: "phase", name });
      await new Promise((r) => setTimeout(r, 2_000));
    },
    fault: (at) => broadcast({ cmd: "fault", at }),
    healed: (at) => broadcast({ cmd: "healed", at }),
    async report(settleMs) {
      const waits = procs.map((p) => p.next("report", settleMs + 60_000));
      broadcast({ cmd: "report", settleMs });
      return mergeReports((await Promise.all(waits)).map((r) => r.report));
    },
    async status() {
      const waits = procs.map((p) => p.next("status", 30_000));
      broadcast({ cmd: "status" });
      const all = await Promise.all(waits);
      return { disconnected: all.reduce((n, s) => n + s.disconnected, 0), back: all.reduce((n, s) => n + s.back, 0) };
    },
    async stop() {
      broadcast({ cmd: "stop" });
      await Promise.all(procs.map((p) => new Promise<void>((r) => (p.child.exitCode !== null ? r() : p.child.once("exit", () => r())))));
    },
  };
}
