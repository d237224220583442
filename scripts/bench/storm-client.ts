/**
 * A client process of `npm run bench:storm` (scripts/bench/storm.ts), driven over IPC: holds up to ~10,000
 * raw Engine.IO v4 / Socket.IO v5 WebSocket clients (the `ws` package, no socket.io-client: a stock client
 * per socket would cost the 2-core machine more than the servers), each authenticated with its own JWT and
 * joined to a room. A socket that closes reconnects like the stock client (delay 1 s × 2^attempt up to 5 s,
 * ±50 % jitter), authenticates again and rejoins its room with `since` (its last seen seq). It records when
 * each socket of the killed node was back in its room, which other sockets were dropped, and the answers
 * to the room messages it sends while the storm runs (5005 refusals counted apart).
 * Every loop is bounded by the socket count and by time; the process exits when its parent goes.
 */
import WebSocket from "ws";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";

interface Init {
  cmd: "init";
  port: number;
  secret: string;
  tenant: string;
  first: number;
  count: number;
  rooms: number;
  addresses: string[];
  concurrency: number;
}
type Command = Init | { cmd: "connect" } | { cmd: "traffic"; perSecond: number } | { cmd: "killed"; route: string; at: number } | { cmd: "status"; full?: boolean } | { cmd: "stop" };

interface Client {
  i: number;
  user: string;
  token: string;
  room: string;
  ws: WebSocket | undefined;
  route: string;
  state: "idle" | "opening" | "joined";
  lastSeq: number;
  attempt: number;
  displaced: boolean;
  rejoinedAt: number;
  closedAfterKill: boolean;
  joinTries: number;
  /** After the kill, for a displaced socket: when its last attempt began, got the Engine.IO open, the CONNECT answer, ms since the epoch. */
  phases: [number, number, number];
}

const HOST = "127.0.0.1";
let init: Init;
const clients: Client[] = [];
let killedAt = 0;
let victim = "";
let stopped = false;
let nextAck = 1;
const acks = new Map<number, { c: Client; ws: WebSocket; kind: "join" | "message"; sentAt: number }>();
const stats = { connectErrors: {} as Record<string, number>, survivorsDropped: 0, refused5005: 0, messagesOk: 0, messageErrors: {} as Record<string, number>, joinErrors: {} as Record<string, number>, recovered: 0, notRecovered: 0, lostWithSocket: 0 };
const bump = (o: Record<string, number>, k: string): void => void (o[k] = (o[k] ?? 0) + 1);
const send = (m: object): void => void process.send?.(m);

function reconnectLater(c: Client): void {
  if (stopped) return;
  const base = Math.min(5_000, 1_000 * 2 ** c.attempt);
  c.attempt++;
  setTimeout(() => open(c), base * (0.5 + Math.random()));
}

function join(c: Client, ws: WebSocket): void {
  const id = nextAck++;
  acks.set(id, { c, ws, kind: "join", sentAt: Date.now() });
  const since = c.rejoinedAt > 0 || c.displaced || c.closedAfterKill || c.lastSeq > 0 ? `,"since":${c.lastSeq}` : "";
  ws.send(`42${id}["room:join",{"room":"${c.room}"${since}}]`);
}

/** Opens (or reopens) a client's socket; `onOpen` once it joined its room, `onFail` when it gave up on this attempt. */
function open(c: Client, onDone?: (ok: boolean) => void): void {
  if (stopped) return;
  c.state = "opening";
  if (c.displaced && c.rejoinedAt === 0) c.phases = [Date.now(), 0, 0];
  const ws = new WebSocket(`ws://${HOST}:${init.port}/socket.io/?EIO=4&transport=websocket`, { localAddress: init.addresses[c.i % init.addresses.length], perMessageDeflate: false });
  c.ws = ws;
  let settled = false;
  const done = (ok: boolean): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    onDone?.(ok);
  };
  const timer = setTimeout(() => {
    bump(stats.connectErrors, "timeout");
    ws.terminate();
  }, 30_000);
  ws.on("message", (raw: Buffer) => {
    const frame = raw.toString();
    const t = frame.charCodeAt(0);
    if (t === 50 /* "2" ping */) return void ws.send("3");
    if (t === 48 /* "0" open */) {
      const sid = (JSON.parse(frame.slice(1)) as { sid: string }).sid;
      c.route = sid.split(".")[0] ?? "";
      c.phases[1] = Date.now();
      return void ws.send(`40${JSON.stringify({ token: c.token })}`);
    }
    if (frame.startsWith("40")) {
      c.phases[2] = Date.now();
      return join(c, ws);
    }
    if (frame.startsWith("44")) {
      bump(stats.connectErrors, String((JSON.parse(frame.slice(2)) as { data?: { code?: number } }).data?.code ?? "refused"));
      return void ws.close();
    }
    if (frame.startsWith("43")) {
      const bracket = frame.indexOf("[");
      const id = Number(frame.slice(2, bracket));
      const pending = acks.get(id);
      if (!pending) return;
      acks.delete(id);
      const [answer] = JSON.parse(frame.slice(bracket)) as [{ error?: { code: number }; recovered?: boolean; seq?: number }];
      if (pending.kind === "message") {
        if (answer.error?.code === 5005) stats.refused5005++;
        else if (answer.error) bump(stats.messageErrors, String(answer.error.code));
        else {
          stats.messagesOk++;
          if (typeof answer.seq === "number") pending.c.lastSeq = Math.max(pending.c.lastSeq, answer.seq); // its own message is not echoed to it
        }
        return;
      }
      if (answer.error) {
        // retried like the SDK's rejoin: 0.5 s doubling to 5 s (jittered), for as long as the socket is open
        bump(stats.joinErrors, String(answer.error.code));
        const wait = Math.min(5_000, 500 * 2 ** c.joinTries++) * (0.5 + Math.random() / 2);
        setTimeout(() => c.ws === ws && ws.readyState === WebSocket.OPEN && join(c, ws), wait);
        return;
      }
      if (answer.recovered === true) stats.recovered++;
      else if (answer.recovered === false) stats.notRecovered++;
      c.state = "joined";
      c.attempt = 0;
      c.joinTries = 0;
      if (killedAt > 0 && c.displaced && c.rejoinedAt === 0) c.rejoinedAt = Date.now();
      return done(true);
    }
    if (frame.startsWith('42["room:message"')) {
      const seq = /"seq":(\d+)/.exec(frame);
      if (seq) c.lastSeq = Math.max(c.lastSeq, Number(seq[1]));
    }
  });
  ws.on("error", (err: Error & { code?: string }) => bump(stats.connectErrors, err.code ?? err.message.slice(0, 40)));
  ws.on("close", () => {
    clearTimeout(timer);
    // requests of this socket can no longer be answered: not counted as unanswered acks
    for (const [id, a] of acks) {
      if (a.ws !== ws) continue;
      acks.delete(id);
      stats.lostWithSocket++;
    }
    if (c.ws !== ws) return;
    const wasJoined = c.state === "joined";
    c.state = "idle";
    c.ws = undefined;
    if (stopped) return;
    if (killedAt > 0 && wasJoined) {
      if (c.route === victim && !c.displaced) c.displaced = true;
      else if (c.route !== victim && !c.closedAfterKill) {
        c.closedAfterKill = true;
        stats.survivorsDropped++;
      }
    }
    if (onDone && !settled) return done(false);
    reconnectLater(c);
  });
}

async function connectAll(): Promise<void> {
  const started = Date.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: init.concurrency }, async () => {
      while (next < clients.length) {
        const c = clients[next++]!;
        for (let tries = 0; tries < 3; tries++) {
          if (await new Promise<boolean>((resolve) => open(c, resolve))) {
            ok++;
            break;
          }
          if (tries === 2) failed++;
        }
      }
    }),
  );
  send({ type: "connected", ok, failed, ms: Date.now() - started, errors: stats.connectErrors });
}

let traffic: NodeJS.Timeout | undefined;
function startTraffic(perSecond: number): void {
  clearInterval(traffic);
  let owed = 0;
  traffic = setInterval(() => {
    owed += perSecond / 20;
    for (let k = 0; owed >= 1 && k < 1_000; k++, owed--) {
      const c = clients[Math.floor(Math.random() * clients.length)]!;
      if (c.state !== "joined" || !c.ws) continue;
      const id = nextAck++;
      acks.set(id, { c, ws: c.ws, kind: "message", sentAt: Date.now() });
      c.ws.send(`42${id}["room:message",{"room":"${c.room}","text":"storm ${id}"}]`);
    }
  }, 50);
}

function status(full: boolean): object {
  const displaced = clients.filter((c) => c.displaced || (killedAt > 0 && c.route === victim && c.state !== "joined" && c.rejoinedAt === 0));
  const back = displaced.filter((c) => c.rejoinedAt > 0);
  const times = back.map((c) => c.rejoinedAt - killedAt);
  // where a rejoin's time went: waiting to retry (kill → last attempt), WebSocket + Engine.IO open, auth + CONNECT, room:join
  const phases = full ? back.map((c) => [c.phases[0] - killedAt, c.phases[1] - c.phases[0], c.phases[2] - c.phases[1], c.rejoinedAt - c.phases[2]]) : [];
  const routes: Record<string, number> = {};
  for (const c of clients) if (c.state === "joined") bump(routes, c.route);
  // acks unanswered for over 10 s are counted as lost answers
  const stale = [...acks.values()].filter((a) => Date.now() - a.sentAt > 10_000).length;
  return { type: "status", clients: clients.length, joined: clients.filter((c) => c.state === "joined").length, displaced: displaced.length, rejoined: times.length, rejoinMs: full ? times : [], phases, routes, staleAcks: stale, ...stats };
}

process.on("message", (m: Command) => {
  if (m.cmd === "init") {
    init = m;
    const tokens = new TokenService({ ...authDefaults, secret: m.secret, tokenTtlSeconds: 3_600 });
    void Promise.all(
      Array.from({ length: m.count }, async (_, k) => {
        const i = m.first + k;
        const c: Client = { i, user: `s${i}`, token: await tokens.sign({ tenant: m.tenant, user: `s${i}`, role: "student" }), room: `r${i % m.rooms}`, ws: undefined, route: "", state: "idle", lastSeq: 0, attempt: 0, displaced: false, rejoinedAt: 0, closedAfterKill: false, joinTries: 0, phases: [0, 0, 0] };
        clients[k] = c;
      }),
    ).then(() => send({ type: "ready" }));
  } else if (m.cmd === "connect") void connectAll();
  else if (m.cmd === "traffic") startTraffic(m.perSecond);
  else if (m.cmd === "killed") {
    killedAt = m.at;
    victim = m.route;
    for (const c of clients) if (c.route === victim) c.displaced = true;
    send({ type: "killed" });
  } else if (m.cmd === "status") send(status(m.full === true));
  else if (m.cmd === "stop") {
    stopped = true;
    clearInterval(traffic);
    for (const c of clients) c.ws?.terminate();
    send({ type: "stopped" });
    setTimeout(() => process.exit(0), 200);
  }
});
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
send({ type: "up" });
