import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident set, KiB, from /proc. */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

/** CPU seconds used so far by each of a process's threads, summed by thread name (`comm`: main thread, V8 workers, libuv pool…). */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * A process's resident memory by kind of mapping, KiB, from /proc/PID/smaps: `small` anonymous mappings of
 * at most 256 KiB (V8 allocates its heap in 256 KiB pages; a few other small mmaps land here too),
 * `brk` (the `[heap]` mapping: malloc's main arena, where native objects and small buffers live), `other`
 * anonymous mappings (larger mmaps: malloc's big blocks, V8's large objects, thread stacks) and `files`.
 */
export function residentByMapping(pid: number): { small: number; brk: number; other: number; files: number } {
  const out = { small: 0, brk: 0, other: 0, files: 0 };
  let kind: keyof typeof out = "other";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (range) {
      const name = range[3] ?? "";
      const kib = (parseInt(range[2]!, 16) - parseInt(range[1]!, 16)) / 1024;
      kind = name === "[heap]" ? "brk" : name.startsWith("/") ? "files" : name === "" && kib <= 256 ? "small" : "other";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  return out;
}
