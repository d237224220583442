/**
 * A chaos client process (forked by driver.ts, driven over IPC, protocol.ts): `count` SDK clients
 * (sdk/src, the real reconnect / rejoin-with-`since` / keyed-resend code) each in one room and one
 * conversation, sending keyed messages at the planned rate (one in flight per client, so a sender's
 * acked seqs are in its send order), plus per-phase ghost clients that never reconnect and one watcher
 * sampling presence. It records every ack, every refusal code seen on the wire, who dropped after the
 * fault, when each was back with every stream rejoined, and whether the server vouched `recovered`.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { createClient, type InterlinkedClient } from "../../sdk/src/index";
import type { AckedMessage, ClientPlan, FromClient, GivenUp, PhaseReport, ToClient } from "./protocol";

interface Sim {
  user: string;
  room: string;
  conv: string;
  client: InterlinkedClient;
  connected: boolean;
  connectedAt: number;
  busy: boolean;
  /** Streams still to rejoin after the current reconnect. */
  pending: Set<string>;
  droppedAfterFault: boolean;
  backAt: number;
  /** After the fault: when it dropped, when it was first connected again, reconnect attempts, refusals of its rejoins. */
  droppedAt: number;
  reconnectedAt: number;
  attempts: number;
  rejoinErrors: string[];
  /** After the fault: why its reconnect attempts failed (code and message, counted). */
  connectErrors: Record<string, number>;
  /** After the fault: from the last reconnect to its room rejoined / its conversation synced, ms (-1: not yet). */
  roomRejoinMs: number;
  convSyncMs: number;
  /** After the fault: the longest a room message took from its `sentAt` to this client (live or recovered), ms. */
  maxDelayMs: number;
  /** Streams with no seq known at the drop (no message seen or sent yet): their rejoin has no `since` to vouch from. */
  noSeqAtDrop: Set<string>;
}

interface Ghost {
  user: string;
  client: InterlinkedClient;
  droppedAt: number;
  connected: boolean;
}

const send = (m: FromClient): void => void process.send?.(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bump = (counts: Record<string, number>, key: string): void => void (counts[key] = (counts[key] ?? 0) + 1);
const codeOf = (err: unknown): string => String((err as { code?: unknown }).code ?? "unknown");

let plan: ClientPlan;
let tokens: TokenService;
const sims: Sim[] = [];
let ghosts: Ghost[] = [];
let watcher: InterlinkedClient | undefined;
let phase = "start";
let phaseStart = 0;
let sending = false;
let sent = 0;
let inflight = 0;
let cursor = 0;
let counter = 0;
let faultAt = 0;
let healedAt = 0;
let acked: AckedMessage[] = [];
let failed: Record<string, number> = {};
let refusedDuringFault: Record<string, number> = {};
let refusedTotal: Record<string, number> = {};
let recovered = 0;
/** Holes in a live stream fetched this phase (SDK recoveries with reason "gap"). */
let gapFetches = 0;
/** Gap fetches that gave seqs up (`skipped`), and messages delivered after their seq was given up on. */
let gapSkips = 0;
let lates = 0;
let notRecovered = 0;
/** Reconnect recoveries without `recovered`, by stream kind and why (no seq known at the drop, seqs skipped). */
let notRecoveredWhy: Record<string, number> = {};
/** Reconnect recoveries' seqs given up (`skipped`), up to 100 per phase, for the check against PostgreSQL. */
let givenUp: GivenUp[] = [];
let presenceWrongLastAt = 0;
let presenceWrongSamples = 0;
/** When a wrong sample was last described in the log (one line per 10 s at most). */
let presenceWrongLoggedAt = 0;
let presenceSamples = 0;

/**
 * A user's token, signed once and reused for half its lifetime (as an app keeps the token its backend
 * gave it): a reconnect storm signed 3,333 tokens at once in the client processes.
 */
const issued = new Map<string, { token: Promise<string>; until: number }>();
function token(user: string): Promise<string> {
  const known = issued.get(user);
  if (known && known.until > Date.now()) return known.token;
  const fresh = tokens.sign({ tenant: plan.tenant, user, role: "student" });
  issued.set(user, { token: fresh, until: Date.now() + (authDefaults.tokenTtlSeconds * 1000) / 2 });
  fresh.catch(() => issued.delete(user));
  return fresh;
}

function open(user: string): InterlinkedClient {
  return createClient({ url: plan.url, getToken: () => token(user), transports: ["websocket"], minDelayMs: 100, maxDelayMs: 2_000, connectTimeoutMs: 10_000, requestTimeoutMs: 15_000 });
}

/** Counts refusal acks (`3<id>[{"error":{"code":…}}]`) on the socket's engine, SDK retries included. */
function watchRefusals(client: InterlinkedClient): void {
  const engine = client.socket?.io.engine;
  engine?.on("packet", (p: { type: string; data?: unknown }) => {
    if (p.type !== "message" || typeof p.data !== "string" || p.data[0] !== "3") return;
    const code = /"error":\{"code":(\d+)/.exec(p.data)?.[1];
    if (!code) return;
    bump(refusedTotal, code);
    if (faultAt > 0 && (healedAt === 0 || Date.now() <= healedAt + 1_000)) bump(refusedDuringFault, code);
  });
}

/**
 * A drop after the fault (or a reconnect whose drop was not reported first): the client counts as dropped
 * and is not back until it reconnected and rejoined again; a client that drops a second time is not back
 * until it is back from that drop too.
 */
function dropped(sim: Sim, at: number): void {
  if (!sim.droppedAfterFault) {
    sim.droppedAfterFault = true;
    sim.droppedAt = at;
    sim.noSeqAtDrop = new Set([sim.client.rooms.lastSeq(sim.room) === undefined ? sim.room : "", sim.client.chat.lastSeq(sim.conv) === undefined ? sim.conv : ""].filter(Boolean));
  }
  sim.backAt = 0;
}

function settleBack(sim: Sim): void {
  if (sim.connected && sim.pending.size === 0 && sim.droppedAfterFault && sim.backAt === 0) sim.backAt = Date.now();
}

async function startSim(i: number): Promise<Sim | undefined> {
  const n = plan.first + i;
  const group = Math.floor(n / plan.roomSize);
  const sim: Sim = {
    user: `u${n}`,
    room: `room-${group}`,
    conv: plan.conversations[group % plan.conversations.length] as string,
    client: open(`u${n}`),
    connected: false,
    connectedAt: 0,
    busy: false,
    pending: new Set(),
    droppedAfterFault: false,
    backAt: 0,
    droppedAt: 0,
    reconnectedAt: 0,
    attempts: 0,
    rejoinErrors: [],
    connectErrors: {},
    roomRejoinMs: -1,
    convSyncMs: -1,
    maxDelayMs: 0,
    noSeqAtDrop: new Set(),
  };
  const c = sim.client;
  c.on("connected", ({ reconnect }) => {
    sim.connected = true;
    sim.connectedAt = Date.now();
    watchRefusals(c);
    if (reconnect) {
      sim.pending = new Set([sim.room, sim.conv]);
      // a drain may move the client before its old connection reports a drop
      if (faultAt > 0) dropped(sim, sim.connectedAt);
      if (faultAt > 0 && sim.reconnectedAt === 0) sim.reconnectedAt = sim.connectedAt;
    }
    settleBack(sim);
  });
  c.on("disconnected", () => {
    sim.connected = false;
    if (faultAt > 0) dropped(sim, Date.now());
  });
  c.on("reconnecting", ({ error }) => {
    if (faultAt === 0) return;
    sim.attempts++;
    if (error) bump(sim.connectErrors, `${error.code} ${error.message.slice(0, 60)}`);
  });
  c.on("error", (e) => {
    if (faultAt > 0 && (e.event === "room:join" || e.event === "chat:sync") && sim.rejoinErrors.length < 20) sim.rejoinErrors.push(`${e.event} ${e.code} ${e.message.split(":")[0]?.replaceAll(" +", " ").slice(0, 48)} +${Date.now() - faultAt}`);
  });
  const rejoined = (stream: string, info: { recovered: boolean; reason: string; skipped?: { from: number; to: number } }): void => {
    if (info.reason === "gap") gapFetches++;
    if (info.reason === "gap" && info.skipped) gapSkips++;
    if (info.reason !== "reconnect") return;
    sim.pending.delete(stream);
    if (faultAt > 0 && stream === sim.room) sim.roomRejoinMs = Date.now() - sim.connectedAt;
    if (faultAt > 0 && stream === sim.conv) sim.convSyncMs = Date.now() - sim.connectedAt;
    if (faultAt > 0) {
      if (info.recovered) recovered++;
      else {
        notRecovered++;
        if (info.skipped && givenUp.length < 100) givenUp.push({ k: stream === sim.room ? "r" : "c", s: stream, from: info.skipped.from, to: info.skipped.to, at: Date.now() - faultAt });
        bump(notRecoveredWhy, `${stream === sim.room ? "room" : "conversation"}${sim.noSeqAtDrop.has(stream) ? ", no seq known at the drop" : ""}${info.skipped ? ", seqs skipped" : ""}`);
      }
    }
    settleBack(sim);
  };
  c.on("rejoined", (info) => rejoined(info.room, info));
  c.on("room:message", (m) => {
    if (faultAt > 0) sim.maxDelayMs = Math.max(sim.maxDelayMs, Date.now() - Date.parse(m.sentAt));
  });
  c.on("synced", (info) => rejoined(info.conversationId, info));
  c.on("late", () => lates++);
  try {
    await c.ready(30_000);
    await c.rooms.join(sim.room);
    await c.chat.sync(sim.conv, 0);
    return sim;
  } catch (err) {
    send({ type: "log", line: `${sim.user} did not start: ${String(err)}` });
    c.close();
    return undefined;
  }
}

async function start(): Promise<void> {
  const started = Date.now();
  let next = 0;
  let failedStarts = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.count) {
      const sim = await startSim(next++);
      if (sim) sims.push(sim);
      else failedStarts++;
    }
  };
  await Promise.all(Array.from({ length: 25 }, worker));
  watcher = open(`watch-${plan.index}`);
  await watcher.ready(30_000);
  setInterval(tick, 50).unref();
  setInterval(() => void samplePresence(), 500).unref();
  send({ type: "started", connected: sims.length, failed: failedStarts, ms: Date.now() - started });
}

/**
 * The clients in sending order: one member of each room in turn, then the next member of each, so every room
 * gets its share of the traffic all along (in join order, a room's 20 members sent one after another and the
 * room was then silent for as long as the others took).
 */
let sendOrder: Sim[] = [];
function inSendOrder(): Sim[] {
  if (sendOrder.length === sims.length) return sendOrder;
  const member = (s: Sim): number => Number(s.user.slice(1)) % plan.roomSize;
  sendOrder = [...sims].sort((a, b) => member(a) - member(b) || a.room.localeCompare(b.room));
  return sendOrder;
}

/** Sends what is due at the planned rate, from idle connected clients in turn (inSendOrder). */
function tick(): void {
  if (!sending || sims.length === 0) return;
  const order = inSendOrder();
  const due = Math.floor((plan.rate * (Date.now() - phaseStart)) / 1000) - sent;
  for (let k = 0; k < due; k++) {
    let sim: Sim | undefined;
    for (let tries = 0; tries < order.length && !sim; tries++) {
      const s = order[cursor++ % order.length] as Sim;
      if (!s.busy && s.connected) sim = s;
    }
    if (!sim) return;
    sent++;
    void sendOne(sim);
  }
}

async function sendOne(sim: Sim): Promise<void> {
  sim.busy = true;
  inflight++;
  const chat = Math.random() < plan.chatShare;
  const text = `${sim.user}:${phase}:${++counter}`;
  try {
    const ack = chat ? await sim.client.chat.send(sim.conv, text) : await sim.client.rooms.send(sim.room, text);
    acked.push({ k: chat ? "c" : "r", s: chat ? sim.conv : sim.room, q: ack.seq, i: ack.id, t: text, a: Date.now() });
  } catch (err) {
    const code = codeOf(err);
    if (!failed[code]) send({ type: "log", line: `${sim.user}: ${chat ? "chat:send" : "room:message"} failed for good: ${String(err)}` });
    bump(failed, code);
  } finally {
    sim.busy = false;
    inflight--;
  }
}

/**
 * After the fault: a dropped ghost must read offline and a user connected (for over a second, so its
 * presence had time to be written) must read online; a sample that says otherwise is wrong.
 */
async function samplePresence(): Promise<void> {
  if (faultAt === 0 || !watcher || watcher.state !== "connected") return;
  const inPhase = phase;
  const now = Date.now();
  const live = sims.filter((s) => s.connected && now - s.connectedAt > 1_000).slice(0, 200);
  const users = [...ghosts.map((g) => g.user), ...live.map((s) => s.user)].slice(0, 500);
  if (users.length === 0) return;
  try {
    const statuses = await watcher.presence.query(users);
    if (phase !== inPhase || faultAt === 0) return; // a sample of the previous phase
    presenceSamples++;
    const ghostWrong = ghosts.some((g) => (g.droppedAt > 0 ? statuses[g.user] !== "offline" : g.connected && statuses[g.user] === "offline"));
    const liveWrong = live.some((s) => s.connected && statuses[s.user] === "offline");
    if ((ghostWrong || liveWrong) && now - presenceWrongLoggedAt >= 10_000) {
      presenceWrongLoggedAt = now;
      const g = ghosts.filter((x) => (x.droppedAt > 0 ? statuses[x.user] !== "offline" : x.connected && statuses[x.user] === "offline")).map((x) => `${x.user}=${statuses[x.user]}${x.droppedAt > 0 ? " (dropped)" : ""}`);
      const l = live.filter((x) => statuses[x.user] === "offline").map((x) => x.user);
      send({ type: "log", line: `presence wrong ${now - faultAt} ms after the fault: ghosts [${g.join(", ")}] live offline [${l.slice(0, 5).join(", ")}${l.length > 5 ? ", …" : ""}]` });
    }
    if (ghostWrong || liveWrong) {
      presenceWrongSamples++;
      presenceWrongLastAt = now;
    }
  } catch {
    // the watcher's own node may be the one that went away: no sample
  }
}

async function newPhase(name: string): Promise<void> {
  for (const g of ghosts) g.client.close();
  phase = name;
  faultAt = 0;
  healedAt = 0;
  acked = [];
  failed = {};
  refusedDuringFault = {};
  refusedTotal = {};
  recovered = 0;
  gapFetches = 0;
  gapSkips = 0;
  lates = 0;
  notRecovered = 0;
  notRecoveredWhy = {};
  givenUp = [];
  presenceWrongLastAt = 0;
  presenceWrongSamples = 0;
  presenceWrongLoggedAt = 0;
  presenceSamples = 0;
  for (const s of sims) {
    s.droppedAfterFault = false;
    s.backAt = 0;
    s.droppedAt = 0;
    s.reconnectedAt = 0;
    s.attempts = 0;
    s.rejoinErrors = [];
    s.connectErrors = {};
    s.roomRejoinMs = -1;
    s.convSyncMs = -1;
    s.maxDelayMs = 0;
  }
  ghosts = await Promise.all(
    Array.from({ length: plan.ghosts }, async (_, i) => {
      const user = `ghost-${plan.index}-${name}-${i}`;
      const ghost: Ghost = { user, client: open(user), droppedAt: 0, connected: false };
      ghost.client.on("connected", () => void (ghost.connected = true));
      ghost.client.on("disconnected", () => {
        ghost.connected = false;
        if (ghost.droppedAt === 0) ghost.droppedAt = Date.now();
        ghost.client.close();
      });
      await ghost.client.ready(30_000).catch(() => undefined);
      return ghost;
    }),
  );
  sent = 0;
  phaseStart = Date.now();
  sending = true;
}

/** Where the dropped clients' time went, and where the ones not back are stuck (logged by the coordinator). */
/** This process's own event-loop delay: a client process starved of CPU times handshakes out on its own. */
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

function diagnose(dropped: Sim[]): string[] {
  const lag = `client process ${plan.index} event-loop delay this phase: p99 ${Math.round(loopDelay.percentile(99) / 1e6)} / max ${Math.round(loopDelay.max / 1e6)} ms`;
  loopDelay.reset();
  if (dropped.length === 0) return [lag];
  const q = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
    return s.length === 0 ? "—" : `p50 ${at(0.5)} / p90 ${at(0.9)} / max ${s.at(-1)} ms (${s.length})`;
  };
  const back = dropped.filter((s) => s.backAt > 0);
  const reconnected = dropped.filter((s) => s.reconnectedAt > 0);
  const errors: Record<string, number> = {};
  for (const s of dropped) for (const e of s.rejoinErrors) bump(errors, e.split(" +")[0] as string);
  const connectErrors = (xs: Sim[]): string => {
    const all: Record<string, number> = {};
    for (const s of xs) for (const [k, n] of Object.entries(s.connectErrors)) all[k] = (all[k] ?? 0) + n;
    return JSON.stringify(all);
  };
  const stuck: Record<string, number> = {};
  for (const s of dropped.filter((x) => x.backAt === 0)) bump(stuck, `${s.client.state}${s.connected ? ` waiting for ${[...s.pending].map((p) => (p === s.room ? "room" : "conversation")).join("+") || "nothing"}` : ""}`);
  const samples = dropped.filter((x) => x.backAt === 0).slice(0, 3).map((s) => `${s.user}: ${s.client.state}, ${s.attempts} attempts, pending [${[...s.pending].join(",")}], errors [${s.rejoinErrors.slice(-4).join("; ")}]`);
  return [
    `fault → drop ${q(dropped.map((s) => s.droppedAt - faultAt))}`,
    `drop → connected again ${q(reconnected.map((s) => s.reconnectedAt - s.droppedAt))}; reconnect attempts ${q(dropped.map((s) => s.attempts))}`,
    `drop → back ${q(back.map((s) => s.backAt - s.droppedAt))}; fault → back ${q(back.map((s) => s.backAt - faultAt))}`,
    `connected → room rejoined ${q(dropped.filter((s) => s.roomRejoinMs >= 0).map((s) => s.roomRejoinMs))}; → conversation synced ${q(dropped.filter((s) => s.convSyncMs >= 0).map((s) => s.convSyncMs))}`,
    `rejoin refusals ${JSON.stringify(errors)}; not back: ${JSON.stringify(stuck)}`,
    `failed reconnect attempts: back ${connectErrors(back)}; not back ${connectErrors(dropped.filter((s) => s.backAt === 0))}`,
    lag,
    ...samples,
  ];
}

async function report(settleMs: number): Promise<PhaseReport> {
  sending = false;
  const delays = sims.map((s) => s.maxDelayMs);
  const deadline = Date.now() + settleMs;
  while (inflight > 0 && Date.now() < deadline) await sleep(100);
  const dropped = sims.filter((s) => s.droppedAfterFault);
  const back = dropped.filter((s) => s.backAt > 0);
  return {
    sent,
    acked,
    failed: inflight > 0 ? { ...failed, "still in flight": inflight } : failed,
    refusedDuringFault,
    refusedTotal,
    disconnected: dropped.length,
    back: back.length,
    lastBackAt: Math.max(0, ...dropped.map((s) => s.backAt)),
    dropToBackMs: back.map((s) => s.backAt - s.droppedAt),
    diagnosis: diagnose(dropped),
    recovered,
    notRecovered,
    notRecoveredWhy,
    givenUp,
    presenceWrongLastAt,
    presenceWrongSamples,
    presenceSamples,
    ghostsDropped: ghosts.filter((g) => g.droppedAt > 0).length,
    connected: sims.filter((s) => s.connected).length,
    maxRoomDelayMs: Math.max(0, ...delays),
    roomDelaysOver10s: delays.filter((d) => d > 10_000).length,
    gapFetches,
    gapSkips,
    lates,
  };
}

process.on("message", (m: ToClient) => {
  const run = async (): Promise<void> => {
    if (m.cmd === "start") {
      plan = m.plan;
      tokens = new TokenService({ ...authDefaults, secret: plan.secret });
      await start();
    } else if (m.cmd === "phase") await newPhase(m.name);
    else if (m.cmd === "fault") faultAt = m.at;
    else if (m.cmd === "healed") healedAt = m.at;
    else if (m.cmd === "report") send({ type: "report", report: await report(m.settleMs) });
    else if (m.cmd === "status") {
      const dropped = sims.filter((s) => s.droppedAfterFault);
      send({ type: "status", disconnected: dropped.length, back: dropped.filter((s) => s.backAt > 0).length });
    }
    else {
      for (const s of sims) s.client.close();
      for (const g of ghosts) g.client.close();
      watcher?.close();
      setTimeout(() => process.exit(0), 200);
    }
  };
  run().catch((err: unknown) => send({ type: "log", line: `client process ${plan?.index ?? "?"}: ${String(err)}` }));
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
