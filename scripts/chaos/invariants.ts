/**
 * The invariants the chaos command checks after each fault, against PostgreSQL (read as its superuser,
 * so row-level security does not hide rows): every acked message stored exactly once with the seq its
 * ack gave, each sender's acked seqs rising in send order per stream, and each stream's seqs contiguous.
 */
import pg from "pg";
import type { AckedMessage, GivenUp } from "./protocol";

export interface InvariantResult {
  acked: number;
  /** Acked messages not in PostgreSQL after the catch-up wait. */
  ackedLost: number;
  /** Texts of this phase stored more than once (extra rows). */
  duplicates: number;
  /** Stored rows whose seq differs from the acked one. */
  seqMismatch: number;
  /** Up to 5 of them: stream, text, acked seq → stored seq. */
  seqMismatchSamples: string[];
  /** A sender's acked seqs that went backwards in one stream. */
  orderViolations: number;
  /** Missing seqs below each stream's highest stored one (all phases so far). */
  seqHoles: number;
  /** How long until every acked message was stored (from the end of traffic), ms; -1 if never within the wait. */
  catchUpMs: number;
}

const TABLE = { r: { table: "room_messages", stream: "room" }, c: { table: "chat_messages", stream: "conversation_id::text" } } as const;

async function storedIds(client: pg.Client, tenant: string, kind: "r" | "c", ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 5_000) {
    const res = await client.query<{ id: string; seq: string }>(`select id, seq from ${TABLE[kind].table} where tenant_id = $1 and id = any($2::uuid[])`, [tenant, ids.slice(i, i + 5_000)]);
    for (const row of res.rows) out.set(row.id, Number(row.seq));
  }
  return out;
}

/** Waits (up to `catchUpMs`) for the acked messages to be stored, then checks every invariant. */
export async function checkInvariants(databaseUrl: string, tenant: string, phase: string, acked: AckedMessage[], catchUpMs: number): Promise<InvariantResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = Date.now();
    const byKind = { r: acked.filter((a) => a.k === "r"), c: acked.filter((a) => a.k === "c") };
    let stored = new Map<string, number>();
    let catchUp = -1;
    for (;;) {
      stored = new Map([...(await storedIds(client, tenant, "r", byKind.r.map((a) => a.i))), ...(await storedIds(client, tenant, "c", byKind.c.map((a) => a.i)))]);
      if (stored.size >= acked.length) {
        catchUp = Date.now() - started;
        break;
      }
      if (Date.now() - started > catchUpMs) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const lost = acked.filter((a) => !stored.has(a.i)).length;
    const mismatched = acked.filter((a) => stored.has(a.i) && stored.get(a.i) !== a.q);
    const seqMismatch = mismatched.length;
    const seqMismatchSamples = mismatched.slice(0, 5).map((a) => `${a.k === "r" ? "room" : "conversation"} ${a.s} "${a.t}": acked ${a.q}, stored ${stored.get(a.i)}`);
    let duplicates = 0;
    for (const kind of ["r", "c"] as const) {
      const res = await client.query<{ extra: string }>(
        `select coalesce(sum(n - 1), 0) as extra from (select count(*) as n from ${TABLE[kind].table} where tenant_id = $1 and text like $2 group by text having count(*) > 1) d`,
        [tenant, `%:${phase}:%`],
      );
      duplicates += Number(res.rows[0]?.extra ?? 0);
    }
    let seqHoles = 0;
    for (const kind of ["r", "c"] as const) {
      const res = await client.query<{ holes: string }>(
        `select coalesce(sum(m - n), 0) as holes from (select max(seq) as m, count(distinct seq) as n from ${TABLE[kind].table} where tenant_id = $1 group by ${TABLE[kind].stream}) s`,
        [tenant],
      );
      seqHoles += Number(res.rows[0]?.holes ?? 0);
    }
    // the text is `<user>:<phase>:<counter>`: a sender's messages in send order
    const bySender = new Map<string, AckedMessage[]>();
    for (const a of acked) {
      const key = `${a.s}|${a.t.split(":")[0]}`;
      const list = bySender.get(key) ?? [];
      list.push(a);
      bySender.set(key, list);
    }
    let orderViolations = 0;
    for (const list of bySender.values()) {
      list.sort((x, y) => Number(x.t.split(":")[2]) - Number(y.t.split(":")[2]));
      for (let i = 1; i < list.length; i++) if ((list[i] as AckedMessage).q <= (list[i - 1] as AckedMessage).q) orderViolations++;
    }
    return { acked: acked.length, ackedLost: lost, duplicates, seqMismatch, seqMismatchSamples, orderViolations, seqHoles, catchUpMs: catchUp };
  } finally {
    await client.end();
  }
}

/**
 * The seqs reconnect recoveries gave up (recovered: false, `skipped`), looked up in PostgreSQL after the
 * catch-up: a stored one is a message the recovery could have delivered; one stored nowhere is a seq that was
 * numbered and never became a message (its sender was not acked: acked lost counts those that were).
 */
export async function checkGivenUp(databaseUrl: string, tenant: string, givenUp: GivenUp[], faultAt: number, ackedAt: (text: string) => number | undefined): Promise<{ seqs: number; streams: number; stored: number; samples: string[] }> {
  const wanted = new Map<string, { k: "r" | "c"; s: string; seqs: Set<number>; at: number }>();
  for (const g of givenUp) {
    const key = `${g.k}|${g.s}`;
    const entry = wanted.get(key) ?? { k: g.k, s: g.s, seqs: new Set<number>(), at: g.at };
    for (let q = g.from; q <= g.to && q - g.from < 1_000; q++) entry.seqs.add(q);
    entry.at = Math.min(entry.at, g.at);
    wanted.set(key, entry);
  }
  if (wanted.size === 0) return { seqs: 0, streams: 0, stored: 0, samples: [] };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let seqs = 0;
    let stored = 0;
    const samples: string[] = [];
    for (const w of wanted.values()) {
      const list = [...w.seqs].sort((a, b) => a - b);
      const res = await client.query<{ seq: string; text: string; sent: string; stored: string }>(
        `select seq, text, extract(epoch from sent_at) * 1000 as sent, extract(epoch from stored_at) * 1000 as stored from ${TABLE[w.k].table} where tenant_id = $1 and ${TABLE[w.k].stream} = $2 and seq = any($3::bigint[])`,
        [tenant, w.s, list],
      );
      seqs += list.length;
      stored += res.rows.length;
      const since = (ms: string): string => `${((Number(ms) - faultAt) / 1000).toFixed(1)} s`;
      const rows = res.rows.map((r) => `${r.seq} "${r.text}" numbered ${since(r.sent)}, stored ${since(r.stored)}, ${ackedAt(r.text) === undefined ? "not acked" : `acked ${since(String(ackedAt(r.text)))}`}`).join(", ");
      if (samples.length < 8) samples.push(`${w.k === "r" ? "room" : "conversation"} ${w.s} seqs ${list.join(",")} first given up +${(w.at / 1000).toFixed(1)} s; stored: ${rows || "none"}`);
    }
    return { seqs, streams: wanted.size, stored, samples };
  } finally {
    await client.end();
  }
}
