import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const HZ = 100;

/** Each process's CPU so far (user + system ticks) with the part of the machine it belongs to. */
export type CpuSnapshot = Map<number, { part: string; ticks: number }>;

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone, or not ours to read
  }
};

/** The part of the chaos machine a process is: a realtime node or worker by NODE_ID, a service, the clients, the command. */
function partOf(pid: number): string | undefined {
  const cmd = read(`/proc/${pid}/cmdline`)?.split("\0").join(" ");
  if (cmd === undefined || cmd === "") return undefined;
  if (cmd.includes("client-process")) return "SDK client processes";
  if (cmd.includes("dist/app/main.js")) return /(?:^|\0)NODE_ID=([^\0]+)/.exec(read(`/proc/${pid}/environ`) ?? "")?.[1] ?? "interlinked (no NODE_ID)";
  if (cmd.includes("kafka.Kafka")) return "Kafka brokers";
  if (cmd.includes("redis-server")) return "Redis";
  if (cmd.includes("postgres")) return "PostgreSQL";
  if (cmd.includes("nginx")) return "nginx";
  if (cmd.includes("chaos")) return "chaos command";
  return "other";
}

/** Every process's CPU ticks now (Linux /proc). */
export function cpuSnapshot(): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const part = partOf(pid);
    if (part !== undefined) out.set(pid, { part, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}

/**
 * CPU seconds each part used between two snapshots, most first, as one line ("SDK client processes 8.1,
 * realtime-2 3.1, …"). A process that ended in between is not counted (the killed node); one that started
 * counts from zero.
 */
export function cpuShare(before: CpuSnapshot, after: CpuSnapshot): string {
  const parts = new Map<string, number>();
  for (const [pid, { part, ticks }] of after) parts.set(part, (parts.get(part) ?? 0) + (ticks - (before.get(pid)?.ticks ?? 0)) / HZ);
  const total = [...parts.values()].reduce((a, b) => a + b, 0);
  const list = [...parts].filter(([, s]) => s >= 0.05).sort((a, b) => b[1] - a[1]);
  return `${total.toFixed(1)} CPU s: ${list.map(([p, s]) => `${p} ${s.toFixed(1)}`).join(", ")}`;
}
