import { ErrorCode } from "./codes";
import { InterlinkedError, toInterlinkedError } from "./errors";
import { newMessageKey } from "./keys";
import type { Clock } from "./token";

/** The ack of an accepted message. */
export interface SentMessage {
  id: string;
  seq: number;
}

/** One keyed message on its way: its key stays the same over every resend, so the server stores it once. */
interface Entry {
  stream: string;
  event: "room:message" | "chat:send";
  payload: { room: string; text: string; key: string } | { conversationId: string; text: string; key: string };
  deadline: number;
  attempt: number;
  inflight: boolean;
  /** A recovery matched it to a stored message (see claimUnacked). */
  claimed: boolean;
  /** The refusal whose backoff it is waiting out (between two attempts), if so. */
  backingOff?: InterlinkedError;
  timer: unknown;
  resolve(ack: SentMessage): void;
  reject(error: InterlinkedError): void;
}

export interface OutboxDeps {
  /** Emits one message with its ack timeout; rejects with InterlinkedError. */
  send(event: Entry["event"], payload: Entry["payload"]): Promise<SentMessage>;
  /** Whether messages of `stream` may go out now (connected, and the stream rejoined). */
  ready(stream: string): boolean;
  /** Called with each ack before the sender's promise resolves. */
  acked(stream: string, ack: SentMessage): void;
  clock: Clock;
}

/**
 * Keyed messages until acked. Each message gets a fresh `key`; per stream they go out one at a time, in
 * the order given, while the stream is ready. A temporary failure (disconnect, ack timeout, 4003, 5001,
 * 5005, rate limits) keeps the message and resends it with the same key — after a backoff, or when the
 * stream is ready again after a reconnect; a permanent one rejects. A message not acked within
 * `sendTimeoutMs` rejects with the last error (it may still have been stored once: the key is honoured
 * for 10 min).
 */
export class Outbox {
  private readonly queues = new Map<string, Entry[]>();
  private readonly busy = new Set<string>();
  /** Per stream: checks run after each settled message; a check returning true is done. */
  private readonly waiters = new Map<string, Array<() => boolean>>();
  private closed = false;

  constructor(
    private readonly deps: OutboxDeps,
    private readonly sendTimeoutMs: number,
  ) {}

  /** Queues a room message; resolves with its ack. */
  sendRoom(room: string, text: string): Promise<SentMessage> {
    return this.enqueue(`room:${room}`, "room:message", { room, text, key: newMessageKey() });
  }

  /** Queues a conversation message; resolves with its ack. */
  sendChat(conversationId: string, text: string): Promise<SentMessage> {
    return this.enqueue(`chat:${conversationId}`, "chat:send", { conversationId, text, key: newMessageKey() });
  }

  /** Messages of a stream not yet acked (queued or in flight). */
  size(stream?: string): number {
    if (stream !== undefined) return this.queues.get(stream)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /**
   * Resolves when every message of the stream that has been sent at least once (so may be stored without
   * this client knowing its seq yet) is acked or given up. Messages never sent yet are not waited for.
   */
  settled(stream: string): Promise<void> {
    const sent = new Set((this.queues.get(stream) ?? []).filter((e) => e.attempt > 0));
    if (sent.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): boolean => {
        const left = this.queues.get(stream) ?? [];
        if (left.some((e) => sent.has(e))) return false;
        resolve();
        return true;
      };
      const list = this.waiters.get(stream) ?? [];
      list.push(check);
      this.waiters.set(stream, list);
    });
  }

  /**
   * Claims the oldest message of `stream` that was sent at least once, is not acked yet and has this
   * text: a recovery found it stored (its ack was lost or is still on its way). Returns whether one matched.
   */
  claimUnacked(stream: string, text: string): boolean {
    const entry = (this.queues.get(stream) ?? []).find((e) => e.attempt > 0 && !e.claimed && e.payload.text === text);
    if (!entry) return false;
    entry.claimed = true;
    return true;
  }

  /** Sends what may go now (call after a (re)connect or a stream became ready). */
  pump(): void {
    for (const stream of this.queues.keys()) void this.run(stream);
  }

  /** Rejects everything left (client closed). */
  close(): void {
    this.closed = true;
    for (const [stream, queue] of this.queues) {
      for (const e of queue.splice(0)) {
        this.settle(e);
        e.reject(new InterlinkedError(ErrorCode.Unavailable, "client closed before the message was acked", { temporary: true, event: e.event }));
      }
      this.notify(stream);
    }
    this.queues.clear();
  }

  private enqueue(stream: string, event: Entry["event"], payload: Entry["payload"]): Promise<SentMessage> {
    if (this.closed) return Promise.reject(new InterlinkedError(ErrorCode.Unavailable, "client closed", { temporary: false, event }));
    return new Promise<SentMessage>((resolve, reject) => {
      const queue = this.queues.get(stream) ?? [];
      const entry: Entry = { stream, event, payload, deadline: this.deps.clock.now() + this.sendTimeoutMs, attempt: 0, inflight: false, claimed: false, timer: undefined, resolve, reject };
      entry.timer = this.deps.clock.setTimeout(() => this.expire(entry), this.sendTimeoutMs);
      queue.push(entry);
      this.queues.set(stream, queue);
      void this.run(stream);
    });
  }

  /** Sends the stream's messages one by one while it is ready. */
  private async run(stream: string): Promise<void> {
    if (this.busy.has(stream)) return;
    this.busy.add(stream);
    try {
      for (;;) {
        const queue = this.queues.get(stream);
        const entry = queue?.[0];
        if (!queue || !entry || this.closed || !this.deps.ready(stream)) break;
        const outcome = await this.attempt(entry);
        if (outcome === "wait") break;
        const at = queue.indexOf(entry);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0) this.queues.delete(stream);
        this.notify(stream);
      }
    } finally {
      this.busy.delete(stream);
    }
  }

  /**
   * A message still waiting (not in flight) at its deadline: rejected with the refusal whose backoff it was
   * waiting out, like an attempt that fails at its deadline; with 5002 "not connected" when it was waiting
   * for its stream to be ready (disconnected, or not rejoined yet).
   */
  private expire(entry: Entry): void {
    if (entry.inflight) return; // the attempt in flight checks the deadline itself
    const queue = this.queues.get(entry.stream);
    const at = queue?.indexOf(entry) ?? -1;
    if (!queue || at < 0) return;
    queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(entry.stream);
    entry.reject(entry.backingOff ?? new InterlinkedError(ErrorCode.Timeout, `message not acked within ${this.sendTimeoutMs} ms (not connected)`, { temporary: true, event: entry.event }));
    this.notify(entry.stream);
  }

  /** One send of the head entry: "done" (resolved or rejected) or "wait" (kept for a later pump). */
  private async attempt(entry: Entry): Promise<"done" | "wait"> {
    entry.attempt++;
    entry.inflight = true;
    let error: InterlinkedError;
    try {
      const ack = await this.deps.send(entry.event, entry.payload);
      this.deps.acked(entry.stream, ack);
      this.settle(entry);
      entry.resolve(ack);
      return "done";
    } catch (err) {
      error = toInterlinkedError(err, entry.event);
    } finally {
      entry.inflight = false;
    }
    if (!error.temporary || this.deps.clock.now() >= entry.deadline || this.closed) {
      this.settle(entry);
      entry.reject(error);
      return "done";
    }
    if (!this.deps.ready(entry.stream)) return "wait"; // pumped again once rejoined
    const backoff = error.retryAfterMs ?? Math.min(5_000, 100 * 2 ** Math.min(entry.attempt, 6));
    entry.backingOff = error;
    await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, Math.min(backoff, Math.max(0, entry.deadline - this.deps.clock.now()))));
    delete entry.backingOff;
    if (!this.queues.get(entry.stream)?.includes(entry)) return "done"; // expired or closed meanwhile
    // the connection may have been replaced during the backoff: on a new socket the room is not joined
    // until its rejoin succeeds (a send would fail for good with 4001), so wait for the rejoin's pump
    if (!this.deps.ready(entry.stream)) return "wait";
    return this.attempt(entry);
  }

  private settle(entry: Entry): void {
    if (entry.timer !== undefined) this.deps.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private notify(stream: string): void {
    const list = this.waiters.get(stream);
    if (!list) return;
    const left = list.filter((check) => !check());
    if (left.length > 0) this.waiters.set(stream, left);
    else this.waiters.delete(stream);
  }
}
