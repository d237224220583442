/**
 * Cross-node probes of the chaos command: a sender on one realtime node and a receiver on another, in
 * one room (the longest silence at the receiver after the fault is how long cross-node delivery was
 * down), and a readiness poller of every node (when GET /health/ready stopped and resumed answering 200).
 */
import WebSocket from "ws";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { createClient, type InterlinkedClient } from "../../sdk/src/index";

export interface CrossNodeProbe {
  /** Longest gap between the receiver's deliveries from `since` to now, ms. */
  longestGapSince(since: number): number;
  /** What the probe's messages did from `since` on: the sender side (acks, refusals) apart from the delivery across nodes. */
  summarySince(since: number): CrossNodeSummary;
  close(): void;
}

/**
 * The cross-node probe after the fault. The receiver's silence mixes two causes: the sender's node not
 * accepting the message (refused, or its publish waiting for Redis/Kafka: nothing to deliver yet) and an
 * accepted message not crossing to the other node. A message is broadcast before it is acked, so
 * "arrival − ack" is the delivery across nodes alone. The sender sends one attempt every 200 ms, each a
 * request of its own (no keyed resend): with the SDK's resend, one message refused with 5005 backed off
 * up to 5 s a try with every later one queued behind it, and the probe measured that backoff (1 ack in
 * 28–34 s at 1,000 clients) rather than the delivery.
 */
export interface CrossNodeSummary {
  sent: number;
  acked: number;
  /** Refusal acks seen on the sender's wire (SDK retries included), by code. */
  refused: Record<string, number>;
  /** Longest span with no ack at the sender (from `since`, or between acks, or to now), ms. */
  longestAckGapMs: number;
  /** Acked messages that reached the receiver 1 s or more after their ack, or never. */
  late: number;
  missing: number;
  /** Longest ack → arrival of an acked message (a missing one counts until now), ms. */
  maxDeliveryMs: number;
  /** From `since` to the ack of the last late or missing message, ms (0: every acked message crossed within 1 s). */
  deliveryBackAfterMs: number;
}

interface ProbeMessage {
  sentAt: number;
  ackedAt: number;
  arrivedAt: number;
}

export async function startCrossNodeProbe(o: { sendUrl: string; receiveUrl: string; secret: string; tenant: string }): Promise<CrossNodeProbe> {
  const tokens = new TokenService({ ...authDefaults, secret: o.secret });
  const open = (url: string, user: string): InterlinkedClient =>
    createClient({ url, getToken: () => tokens.sign({ tenant: o.tenant, user, role: "student" }), transports: ["websocket"], minDelayMs: 100, maxDelayMs: 1_000 });
  const sender = open(o.sendUrl, "probe-sender");
  const receiver = open(o.receiveUrl, "probe-receiver");
  const arrivals: number[] = [];
  const messages = new Map<string, ProbeMessage>();
  const refusals: Array<{ at: number; code: string }> = [];
  receiver.on("room:message", (m) => {
    if (m.user !== "probe-sender") return;
    const now = Date.now();
    arrivals.push(now);
    const msg = messages.get(m.text);
    if (msg && msg.arrivedAt === 0) msg.arrivedAt = now;
  });
  // refusal acks on the sender's wire (`3<id>[{"error":{"code":…}}]`), each engine it connects with
  sender.on("connected", () => {
    sender.socket?.io.engine?.on("packet", (p: { type: string; data?: unknown }) => {
      if (p.type !== "message" || typeof p.data !== "string" || p.data[0] !== "3") return;
      const code = /"error":\{"code":(\d+)/.exec(p.data)?.[1];
      if (code) refusals.push({ at: Date.now(), code });
    });
  });
  await Promise.all([sender.ready(30_000), receiver.ready(30_000)]);
  await receiver.rooms.join("probe");
  await sender.rooms.join("probe");
  let n = 0;
  const timer = setInterval(() => {
    const text = `probe:${++n}`;
    const msg: ProbeMessage = { sentAt: Date.now(), ackedAt: 0, arrivedAt: 0 };
    messages.set(text, msg);
    // one attempt each, without the SDK's keyed resend: a refused message is not retried (its backoff would
    // hold every later one behind it), so the next one, 200 ms later, is an independent try
    sender.request("room:message", { room: "probe", text }, { timeoutMs: 5_000 }).then(
      () => void (msg.ackedAt = Date.now()),
      () => undefined,
    );
  }, 200);
  return {
    longestGapSince(since) {
      let last = since;
      let longest = 0;
      for (const t of arrivals) {
        if (t < since) continue;
        longest = Math.max(longest, t - last);
        last = t;
      }
      return Math.max(longest, Date.now() - last);
    },
    summarySince(since) {
      const now = Date.now();
      const list = [...messages.values()].filter((m) => m.sentAt >= since || m.ackedAt >= since);
      const acked = list.filter((m) => m.ackedAt > 0).sort((a, b) => a.ackedAt - b.ackedAt);
      let longestAckGapMs = 0;
      let last = since;
      for (const m of acked) {
        longestAckGapMs = Math.max(longestAckGapMs, m.ackedAt - last);
        last = m.ackedAt;
      }
      longestAckGapMs = Math.max(longestAckGapMs, now - last);
      const delivery = (m: ProbeMessage): number => (m.arrivedAt > 0 ? m.arrivedAt : now) - m.ackedAt;
      const bad = acked.filter((m) => delivery(m) >= 1_000);
      const refused: Record<string, number> = {};
      for (const r of refusals) if (r.at >= since) refused[r.code] = (refused[r.code] ?? 0) + 1;
      return {
        sent: list.length,
        acked: acked.length,
        refused,
        longestAckGapMs,
        late: bad.filter((m) => m.arrivedAt > 0).length,
        missing: bad.filter((m) => m.arrivedAt === 0).length,
        maxDeliveryMs: Math.max(0, ...acked.map(delivery)),
        deliveryBackAfterMs: bad.length > 0 ? Math.max(...bad.map((m) => m.ackedAt)) - since : 0,
      };
    },
    close() {
      clearInterval(timer);
      sender.close();
      receiver.close();
    },
  };
}

export interface ReadinessWindow {
  /** First time after `since` the node's readiness was not 200 (0: never). */
  firstNotReadyAt: number;
  /** First time after that it was 200 again (0: never). */
  readyAgainAt: number;
  /** Status codes (or "down") seen after `since`. */
  statuses: Record<string, number>;
}

export interface ReadinessPoller {
  window(node: number, since: number): ReadinessWindow;
  stop(): void;
}

export function pollReadiness(urls: string[], everyMs = 500): ReadinessPoller {
  const samples: Array<Array<{ at: number; status: string }>> = urls.map(() => []);
  const timer = setInterval(() => {
    urls.forEach((url, i) => {
      const at = Date.now();
      fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(everyMs * 2) })
        .then((r) => String(r.status))
        .catch(() => "down")
        .then((status) => samples[i]?.push({ at, status }));
    });
  }, everyMs);
  return {
    window(node, since) {
      const list = (samples[node] ?? []).filter((s) => s.at >= since).sort((a, b) => a.at - b.at);
      const statuses: Record<string, number> = {};
      for (const s of list) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      const bad = list.find((s) => s.status !== "200");
      const again = bad ? list.find((s) => s.at > bad.at && s.status === "200") : undefined;
      return { firstNotReadyAt: bad?.at ?? 0, readyAgainAt: again?.at ?? 0, statuses };
    },
    stop: () => clearInterval(timer),
  };
}

export interface OpenProbe {
  /** The node's Engine.IO open times since `since` (ms; a timeout counts as `timeoutMs`), and the last time one took over 1 s. */
  window(node: number, since: number): { times: number[]; slowLastAt: number };
  stop(): void;
}

/**
 * Every `everyMs`, opens a raw WebSocket straight to each node's Socket.IO path (no nginx, no SDK, no
 * auth) and times the Engine.IO open packet: how long the node itself takes to take a new connection in,
 * apart from the load balancer and the clients. A node that is down answers nothing and is not sampled.
 */
export function probeEngineOpen(urls: string[], everyMs = 1_000, timeoutMs = 30_000): OpenProbe {
  const samples: Array<Array<{ at: number; ms: number }>> = urls.map(() => []);
  const open = (url: string, i: number): void => {
    const at = Date.now();
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`);
    const done = (ms: number | undefined): void => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on("error", () => undefined);
      ws.terminate();
      if (ms !== undefined) samples[i]?.push({ at, ms });
    };
    const timer = setTimeout(() => done(timeoutMs), timeoutMs);
    ws.once("message", () => done(Date.now() - at));
    ws.once("error", () => done(undefined));
  };
  const timer = setInterval(() => urls.forEach(open), everyMs);
  return {
    window(node, since) {
      const list = (samples[node] ?? []).filter((s) => s.at >= since);
      return { times: list.map((s) => s.ms), slowLastAt: Math.max(0, ...list.filter((s) => s.ms > 1_000).map((s) => s.at)) };
    },
    stop: () => clearInterval(timer),
  };
}
