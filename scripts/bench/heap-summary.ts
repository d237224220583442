/**
 * `tsx scripts/bench/heap-summary.ts OURS.heapsnapshot [STOCK.heapsnapshot] --sockets N [--top 40]`: what a
 * server's heap holds per socket, by constructor, compared with a stock Socket.IO server holding as many
 * sockets (snapshots written by `bench:sockets --heap DIR`).
 *
 * Each object's own (shallow) size is charged to a row: objects and closures by their constructor or
 * function name; property stores, element arrays, closure contexts and other internals by the row of the
 * first object that holds them (e.g. `Socket › (object properties)`, `closure onAny › system / Context`),
 * so a per-socket Map's backing store counts under `Map`. Rows are shown with count and bytes per socket
 * (÷ N), ours against stock, largest difference first; the totals are the heaps' shallow sums ÷ N.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Shallow bytes and counts per row of one snapshot. */
function rows(file: string): { rows: Map<string, { count: number; bytes: number }>; total: number } {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [fType, fName, fSize, fEdges] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [eType, eTo] = ["type", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf("weak");
  const count = snap.nodes.length / nf;
  const typeOf = (i: number): string => nodeTypes[snap.nodes[i * nf + fType]!]!;
  const nameOf = (i: number): string => snap.strings[snap.nodes[i * nf + fName]!]!;
  // the first (non-weak) holder of each node
  const holder = new Int32Array(count).fill(-1);
  let e = 0;
  for (let i = 0; i < count; i++) {
    const n = snap.nodes[i * nf + fEdges]!;
    for (let k = 0; k < n; k++, e += ef) {
      if (snap.edges[e + eType] === weak) continue;
      const to = snap.edges[e + eTo]! / nf;
      if (holder[to] === -1) holder[to] = i;
    }
  }
  const own = (i: number): string | undefined => {
    const t = typeOf(i);
    if (t === "object") return nameOf(i);
    if (t === "closure") return `closure ${nameOf(i) || "(anonymous)"}`;
    if (t === "regexp" || t === "number" || t === "bigint" || t === "symbol") return `(${t})`;
    if (t === "string" || t === "concatenated string" || t === "sliced string") return "(string)";
    return undefined;
  };
  const out = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const size = snap.nodes[i * nf + fSize]!;
    if (size === 0) continue;
    total += size;
    let row = own(i);
    if (row === undefined) {
      // an internal: charge it to the first object up its holders (at most a few steps)
      let at = holder[i]!;
      for (let step = 0; step < 4 && at >= 0 && own(at) === undefined; step++) at = holder[at]!;
      row = `${at >= 0 ? (own(at) ?? "?") : "(root)"} › ${typeOf(i)} ${nameOf(i).slice(0, 40)}`;
    }
    const r = out.get(row) ?? { count: 0, bytes: 0 };
    r.count++;
    r.bytes += size;
    out.set(row, r);
  }
  return { rows: out, total };
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { sockets: { type: "string" }, top: { type: "string", default: "40" } } });
const [oursFile, stockFile] = positionals;
if (!oursFile || !values.sockets) throw new Error("usage: heap-summary.ts OURS.heapsnapshot [STOCK.heapsnapshot] --sockets N [--top 40]");
const n = Number(values.sockets);
const ours = rows(oursFile);
const stock = stockFile ? rows(stockFile) : { rows: new Map<string, { count: number; bytes: number }>(), total: 0 };
const names = new Set([...ours.rows.keys(), ...stock.rows.keys()]);
const diff = [...names].map((name) => {
  const o = ours.rows.get(name) ?? { count: 0, bytes: 0 };
  const s = stock.rows.get(name) ?? { count: 0, bytes: 0 };
  return { name, o, s, d: o.bytes - s.bytes };
});
diff.sort((a, b) => Math.abs(b.d) - Math.abs(a.d));
const per = (b: number): string => (b / n).toFixed(1);
console.log(`heap (shallow sum) per socket: ours ${per(ours.total)} B${stockFile ? `, stock ${per(stock.total)} B, difference ${per(ours.total - stock.total)} B` : ""} (N = ${n}; fixed costs included)`);
console.log("| row | ours: count/socket, B/socket | stock: count/socket, B/socket | difference B/socket |\n|---|---|---|---|");
for (const r of diff.slice(0, Number(values.top))) {
  console.log(`| ${r.name.replace(/\|/g, "/")} | ${(r.o.count / n).toFixed(2)}, ${per(r.o.bytes)} | ${(r.s.count / n).toFixed(2)}, ${per(r.s.bytes)} | ${per(r.d)} |`);
}
