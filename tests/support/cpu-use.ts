import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system, all threads) a live process has used so far, from /proc (Linux, USER_HZ 100); 0 once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The whole machine's busy CPU seconds so far (every core, all but idle and iowait), from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** The pids of the live processes whose command name (`comm`) is `comm`, e.g. every "postgres" process. */
export function pidsNamed(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === comm) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU seconds so far of named processes (or groups of processes, summed), read together, with the machine's. */
export type CpuReading = Record<string, number>;

export function readCpu(pids: Record<string, number | number[] | undefined>): CpuReading {
  const reading: CpuReading = { machine: machineBusySeconds() };
  for (const [name, pid] of Object.entries(pids)) reading[name] = Array.isArray(pid) ? pid.reduce((sum, p) => sum + processCpuSeconds(p), 0) : processCpuSeconds(pid);
  return reading;
}

/**
 * Cores each process used between two readings ("broker 2 0.41"), machine first; a process that
 * started or died between them (its counter went back) is left out.
 */
export function coresBetween(from: CpuReading, to: CpuReading, seconds: number): string {
  return Object.entries(to)
    .filter(([name, v]) => (from[name] ?? 0) > 0 && v >= (from[name] ?? 0))
    .map(([name, v]) => `${name} ${((v - (from[name] ?? 0)) / Math.max(0.001, seconds)).toFixed(2)}`)
    .join(", ");
}
