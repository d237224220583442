import { ErrorCode } from "./codes";
import { toInterlinkedError, type InterlinkedError } from "./errors";
import type { Outbox, SentMessage } from "./outbox";
import type { AckOf, ChatMessageDelivery, Payloads, RoomMessageDelivery } from "./protocol";
import type { Requester } from "./request";
import { GapWait } from "./gap-wait";
import { SeqStream } from "./sequence";
import type { Clock } from "./token";

/**
 * How long a recovery the server could not vouch for waits, at least, for the seqs up to its read that it
 * found nowhere (they may still be on their way) before giving them up.
 */
export const FOUND_NOWHERE_WAIT_MS = 2_000;

/** Why a stream was (re)synchronised. */
export type RecoveryReason = "join" | "reconnect" | "gap";

/** Reported for each room after a (re)join with `since`, and for each conversation after a sync. */
export interface RecoveryInfo {
  /** True when the server vouched that the messages delivered are exactly everything missed. */
  recovered: boolean;
  /** Messages delivered to the listeners by this recovery. */
  missed: number;
  reason: RecoveryReason;
  /**
   * Seqs given up on (only when `recovered` is false and a hole could not be filled). A message among them
   * that still comes (it was on its way) is delivered then, late (`late` event); the others can be reloaded
   * over REST.
   */
  skipped?: { from: number; to: number };
}

/** A message that came after its seq had been given up on: delivered anyway, after higher seqs. */
export interface LateInfo {
  kind: "room" | "chat";
  /** The room, or the conversation id. */
  name: string;
  seq: number;
}

interface Track<M extends RoomMessageDelivery | ChatMessageDelivery> {
  kind: "room" | "chat";
  name: string;
  stream: SeqStream<M>;
  /** The stream may take sends on the current connection (joined / synced on it). */
  ready: boolean;
  /** Bumped by each recovery; an older recovery's result is ignored. */
  generation: number;
  gapTimer: unknown;
  /** Seqs the last gap fetch brought: a live copy of one arriving after it means the fetch was too soon. */
  gapFetched: Set<number>;
}

export interface RejoinDeps {
  request: Requester<Payloads, AckOf>;
  outbox: Outbox;
  clock: Clock;
  connected(): boolean;
  deliverRoom(message: RoomMessageDelivery): void;
  deliverChat(message: ChatMessageDelivery): void;
  rejoined(info: RecoveryInfo & { room: string }): void;
  synced(info: RecoveryInfo & { conversationId: string }): void;
  /** A message delivered after its seq was given up on (`skipped` of an earlier recovery); optional. */
  late?(info: LateInfo): void;
  error(error: InterlinkedError): void;
  /** How long a hole in a live stream may stay before it is fetched (default 500 ms; longer under load: gap-wait.ts). */
  gapWaitMs: number;
  /** How long a recovery waits for acks of this client's resent messages of the stream before delivering (default 2 s). */
  settleWaitMs: number;
  /** The least a recovery the server could not vouch for waits for seqs it found nowhere (default FOUND_NOWHERE_WAIT_MS). */
  foundNowhereWaitMs?: number;
  /** The user id of the current token (to recognise own messages whose ack is still missing). */
  user(): string | undefined;
}

/** What `rooms.join` resolves with: the join ack without the recovered messages (they went to the listeners). */
export interface JoinResult {
  room: string;
  memberCount: number;
  /** Left out for rooms over the server's ROOM_PRESENCE_LIMIT. */
  members?: string[];
  /** With `since`: whether the server vouched the missed messages are complete. */
  recovered?: boolean;
  /** Missed messages delivered to the `room:message` listeners. */
  missed: number;
  /** Seqs given up on (see RecoveryInfo). */
  skipped?: { from: number; to: number };
}

/**
 * A refused background recovery is retried after RETRY_FIRST_MS, doubling up to RETRY_MAX_MS (jittered
 * 50–100 %). The cap is the connection's own (5 s): a client whose rejoins a node refuses for a few
 * seconds (a reconnect storm) is back within about one cap of the node accepting them again; with 30 s,
 * a client refused four times stayed out of its room 30 s after the storm had passed.
 */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 5_000;

/** The most pages a recovery fetches before giving up on a hole. */
const MAX_RECOVERY_PAGES = 20;

/**
 * Rejoin bookkeeping. Tracks each joined room's and each followed conversation's last seen `seq`
 * (SeqStream). After any reconnect — to the same node or another, after a crash, `app:draining`,
 * `app:disconnect` — it rejoins every room with `room:join { since }` and syncs every conversation with
 * `chat:sync { since }`, holding live messages meanwhile; resends this client's unacked keyed messages of
 * the stream (same keys) and waits for their acks, so its own messages are recognised by seq and never
 * delivered back; then delivers the missed and held messages through the same `room:message` /
 * `chat:message` listeners, in seq order, each once, and reports `rejoined` / `synced` with `recovered`.
 * A hole in a live stream (a message that did not arrive while later ones did) is fetched the same way
 * after `gapWaitMs`.
 */
export class Rejoiner {
  private readonly rooms = new Map<string, Track<RoomMessageDelivery>>();
  private readonly conversations = new Map<string, Track<ChatMessageDelivery>>();

  private readonly gapWait: GapWait;

  constructor(private readonly deps: RejoinDeps) {
    this.gapWait = new GapWait(deps.gapWaitMs, () => deps.clock.now());
  }

  joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  followedConversations(): string[] {
    return [...this.conversations.keys()];
  }

  lastSeq(kind: "room" | "chat", name: string): number | undefined {
    return (kind === "room" ? this.rooms.get(name) : this.conversations.get(name))?.stream.lastSeq;
  }

  /** Whether the outbox may send on `stream` (`room:<name>` / `chat:<id>`) now. */
  ready(stream: string): boolean {
    if (!this.deps.connected()) return false;
    const [kind, ...rest] = stream.split(":");
    const name = rest.join(":");
    const track = kind === "room" ? this.rooms.get(name) : this.conversations.get(name);
    return track === undefined ? true : track.ready;
  }

  /** Own ack: counted in its stream so it is never delivered back. */
  acked(stream: string, ack: SentMessage): void {
    const [kind, ...rest] = stream.split(":");
    const name = rest.join(":");
    if (kind === "room") this.rooms.get(name)?.stream.own(ack.seq);
    else this.followConversation(name).stream.own(ack.seq);
  }

  /** A live room message. */
  roomMessage(message: RoomMessageDelivery): void {
    const track = this.rooms.get(message.room);
    if (!track) return; // a room this client left: late delivery
    this.receive(track, message);
  }

  /** A live conversation message (conversations are followed from their first message or send). */
  chatMessage(message: ChatMessageDelivery): void {
    const track = this.followConversation(message.conversationId);
    this.receive(track, message);
  }

  private receive<M extends RoomMessageDelivery | ChatMessageDelivery>(track: Track<M>, message: M): void {
    if (!track.stream.receive(message) && track.gapFetched.delete(message.seq)) this.gapWait.fetchedTooSoon();
    this.watchGap(track);
  }

  /** rooms.join: tracks the room and joins (with `since` when given); the missed messages go to the listeners. */
  async join(room: string, since?: number): Promise<JoinResult> {
    let track = this.rooms.get(room);
    if (!track) {
      track = this.newTrack<RoomMessageDelivery>("room", room, since, this.deps.deliverRoom);
      this.rooms.set(room, track);
    } else if (since !== undefined) {
      track.stream.setBaseline(since);
    }
    try {
      return await this.recover(track, "join");
    } catch (err) {
      if (this.rooms.get(room) === track && track.stream.lastSeq === undefined) this.forgetRoom(room);
      throw err;
    }
  }

  /** chat.sync: follows the conversation from `since` and delivers what came after it. */
  async sync(conversationId: string, since: number): Promise<RecoveryInfo> {
    const track = this.followConversation(conversationId, since);
    track.stream.setBaseline(since);
    const ack = await this.recover(track, "join");
    return { recovered: ack.recovered === true, missed: ack.missed, reason: "join", ...(ack.skipped ? { skipped: ack.skipped } : {}) };
  }

  forgetRoom(room: string): void {
    const track = this.rooms.get(room);
    if (track?.gapTimer !== undefined) this.deps.clock.clearTimeout(track.gapTimer);
    this.rooms.delete(room);
  }

  forgetConversation(conversationId: string): void {
    const track = this.conversations.get(conversationId);
    if (track?.gapTimer !== undefined) this.deps.clock.clearTimeout(track.gapTimer);
    this.conversations.delete(conversationId);
  }

  /** The connection dropped: nothing may be sent until each stream is rejoined; live messages wait. */
  disconnected(): void {
    for (const track of [...this.rooms.values(), ...this.conversations.values()]) {
      track.ready = false;
      track.stream.hold();
    }
  }

  /** A new connection: rejoin every room and sync every conversation (in parallel). */
  reconnected(): void {
    for (const track of this.rooms.values()) void this.recoverInBackground(track, "reconnect");
    for (const track of this.conversations.values()) void this.recoverInBackground(track, "reconnect");
  }

  private followConversation(conversationId: string, since?: number): Track<ChatMessageDelivery> {
    let track = this.conversations.get(conversationId);
    if (!track) {
      track = this.newTrack<ChatMessageDelivery>("chat", conversationId, since, this.deps.deliverChat);
      track.ready = true; // chat:send needs no join
      this.conversations.set(conversationId, track);
    }
    return track;
  }

  private newTrack<M extends RoomMessageDelivery | ChatMessageDelivery>(kind: "room" | "chat", name: string, since: number | undefined, deliver: (m: M) => void): Track<M> {
    const late = (m: M): void => this.deps.late?.({ kind, name, seq: m.seq });
    return { kind, name, stream: new SeqStream<M>(deliver, since, late), ready: false, generation: 0, gapTimer: undefined, gapFetched: new Set() };
  }

  private watchGap<M extends RoomMessageDelivery | ChatMessageDelivery>(track: Track<M>): void {
    if (!track.stream.hasGap() || track.gapTimer !== undefined) return;
    track.gapTimer = this.deps.clock.setTimeout(() => {
      track.gapTimer = undefined;
      if (track.stream.hasGap() && this.deps.connected()) void this.recoverInBackground(track, "gap");
    }, this.gapWait.ms);
  }

  /**
   * A recovery the client started itself (reconnect, gap). Refused with 2003/4000 the stream is dropped;
   * refused otherwise it is retried: a temporary refusal after about 1 s, then with a doubling wait up to
   * RETRY_MAX_MS (jittered, so the clients of a refusing node do not come back at once); any other refusal
   * of a reconnect's recovery too — a room is not joined on this connection until its rejoin succeeds,
   * and a conversation not synced has missed what was sent while the client was away.
   */
  private async recoverInBackground<M extends RoomMessageDelivery | ChatMessageDelivery>(track: Track<M>, reason: RecoveryReason, attempt = 0): Promise<void> {
    try {
      await this.recover(track, reason);
    } catch (err) {
      const error = toInterlinkedError(err, track.kind === "room" ? "room:join" : "chat:sync");
      if (!this.deps.connected()) return; // the next reconnect recovers again
      if (error.code === ErrorCode.Forbidden || error.code === ErrorCode.NotFound) {
        // kicked, or the room / conversation is gone for this user: stop following it
        if (track.kind === "room") this.forgetRoom(track.name);
        else this.forgetConversation(track.name);
        track.stream.release();
      } else if (error.temporary || reason === "reconnect") {
        const generation = track.generation;
        const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.deps.clock.setTimeout(() => {
          // a newer recovery (another reconnect) or a forgotten stream makes this retry moot
          const tracked: unknown = track.kind === "room" ? this.rooms.get(track.name) : this.conversations.get(track.name);
          if (tracked === track && track.generation === generation) void this.recoverInBackground(track, reason, attempt + 1);
        }, wait);
      }
      this.deps.error(error);
    }
  }

  /**
   * One recovery of a stream: hold, (re)join or sync from the last seq (page by page while the server
   * cannot vouch and keeps returning messages), let the outbox resend and settle, release in order.
   * Reports `rejoined` / `synced` unless it was a plain join without `since` (nothing to recover).
   */
  private async recover<M extends RoomMessageDelivery | ChatMessageDelivery>(track: Track<M>, reason: RecoveryReason): Promise<JoinResult> {
    const generation = ++track.generation;
    const current = (): boolean => track.generation === generation;
    track.stream.hold();
    if (reason !== "gap") track.ready = false;
    const from = track.stream.lastSeq;
    const fetched: M[] = [];
    /** Seqs the server said are on their way (handed out, not yet published): they come live, late if need be. */
    const onItsWay = new Set<number>();
    /** The stream's last seq when the server read it (`seq` of the last answer): its answer speaks for no seq above. */
    let vouchedThrough: number | undefined;
    let recovered = from !== undefined;
    let joined: AckOf["room:join"] | undefined;
    try {
      let since = from;
      for (let page = 0; page < MAX_RECOVERY_PAGES; page++) {
        const ack = await this.fetchSince(track, since);
        joined ??= ack.join;
        fetched.push(...(ack.messages as M[]));
        for (const seq of ack.pending ?? []) onItsWay.add(seq);
        if (ack.seq !== undefined) vouchedThrough = ack.seq;
        recovered = ack.recovered;
        const last = ack.messages[ack.messages.length - 1];
        if (recovered || !last || since === undefined) break;
        since = last.seq; // more than a page was missed: ask for the next
      }
    } catch (err) {
      // Disconnected meanwhile: stay held, the reconnect recovers again. A room not rejoined after a
      // reconnect is not joined on this connection: it stays held and unready (sends wait instead of
      // failing with 4001) until recoverInBackground's retry rejoins it. Otherwise (a gap fetch on a
      // joined room, a conversation, the caller's own join, which sees the error) go on live.
      const notJoined = track.kind === "room" && reason === "reconnect";
      if (current() && this.deps.connected() && !notJoined) {
        track.ready = true;
        track.stream.release();
      }
      throw err;
    }
    const base: JoinResult = { room: track.name, memberCount: joined?.memberCount ?? 0, ...(joined?.members ? { members: joined.members } : {}), missed: 0 };
    if (!current()) return base;
    // joined without a seq to follow from: the server's seq at the join is the baseline (the next rejoin's
    // `since`), unless a live message already set one
    if (from === undefined && track.stream.lastSeq === undefined && joined?.seq !== undefined) track.stream.setBaseline(joined.seq);
    track.ready = true;
    this.deps.outbox.pump();
    await Promise.race([this.deps.outbox.settled(`${track.kind}:${track.name}`), new Promise<void>((r) => this.deps.clock.setTimeout(r, this.deps.settleWaitMs))]);
    if (!current()) return base;
    // Not vouched by the server: a seq up to its read was found nowhere. It may be one numbered an instant
    // before the read, its reservation not landed yet, whose publish takes as long as Kafka does under load:
    // it comes live if it exists. Still holding the stream (live messages wait in it, and no gap fetch starts),
    // wait (the gap wait, at least FOUND_NOWHERE_WAIT_MS) until every seq up to the read was fetched, has come,
    // or is named on its way, before giving any up.
    if (!recovered && vouchedThrough !== undefined && from !== undefined) {
      const have = new Set(fetched.map((m) => m.seq));
      const accounted = (seq: number): boolean => have.has(seq) || onItsWay.has(seq) || track.stream.waiting(seq);
      await this.accountedFor(from, vouchedThrough, accounted, Math.max(this.gapWait.ms, this.deps.foundNowhereWaitMs ?? FOUND_NOWHERE_WAIT_MS));
      if (!current()) return base;
    }
    // A resend still unacked after the wait (e.g. 4003 until a dead node's claim on its key expires) may
    // already be stored: a fetched message of this user with the text of such a message is taken as it.
    const me = this.deps.user();
    const stream = `${track.kind}:${track.name}`;
    let missed = track.stream.release(fetched, (m) => m.user === me && this.deps.outbox.claimUnacked(stream, m.text));
    if (reason === "gap") {
      track.gapFetched = new Set(fetched.map((m) => m.seq));
      if (onItsWay.size > 0) this.gapWait.fetchedTooSoon(); // the server says what it looked for is still on its way
    }
    // Every hole up to the seq the server read is then given up on (all of them when it did not say). A hole
    // of seqs on their way is not a loss: the stream moves on and delivers each when it comes (late);
    // `skipped` spans the others. A hole above that seq is a message numbered after the server's read that a
    // higher one overtook on its way here (each node broadcasts once Kafka has its own): it is left to the
    // gap watch.
    const through = vouchedThrough ?? Number.POSITIVE_INFINITY;
    let skipped: { from: number; to: number } | undefined;
    const nextGap = () => ((track.stream.lastSeq ?? 0) < through && (track.stream.hasGap() || Number.isFinite(through)) ? track.stream.skipGap(through) : undefined);
    for (let gap = nextGap(); gap; gap = nextGap()) {
      missed += gap.delivered;
      if (!everyOnItsWay(gap, onItsWay)) skipped = { from: skipped?.from ?? gap.from, to: gap.to };
    }
    this.watchGap(track);
    const complete = vouchedThrough !== undefined && (track.stream.lastSeq ?? 0) >= vouchedThrough;
    const info: RecoveryInfo = { recovered: (recovered || (from !== undefined && complete)) && skipped === undefined, missed, reason, ...(skipped ? { skipped } : {}) };
    if (reason === "join") return from === undefined ? base : { ...base, recovered: info.recovered, missed, ...(skipped ? { skipped } : {}) }; // the caller's ack says it
    if (track.kind === "room") this.deps.rejoined({ room: track.name, ...info });
    else this.deps.synced({ conversationId: track.name, ...info });
    return { ...base, recovered: info.recovered, missed };
  }

  /** Waits up to `ms` (checking every 25 ms) until every seq after `from` up to `through` is `accounted` for. */
  private async accountedFor(from: number, through: number, accounted: (seq: number) => boolean, ms: number): Promise<void> {
    const missing = (): boolean => {
      for (let seq = from + 1; seq <= through; seq++) if (!accounted(seq)) return true;
      return false;
    };
    for (let waited = 0; waited < ms && missing(); waited += 25) await new Promise<void>((r) => this.deps.clock.setTimeout(r, 25));
  }

  private async fetchSince<M extends RoomMessageDelivery | ChatMessageDelivery>(
    track: Track<M>,
    since: number | undefined,
  ): Promise<{ join?: AckOf["room:join"]; recovered: boolean; messages: Array<RoomMessageDelivery | ChatMessageDelivery>; pending?: number[]; seq?: number }> {
    if (track.kind === "room") {
      const join = await this.deps.request("room:join", since === undefined ? { room: track.name } : { room: track.name, since });
      const seq = since !== undefined && join.seq !== undefined ? { seq: join.seq } : {};
      return { join, recovered: since !== undefined && join.recovered === true, messages: join.messages ?? [], ...(join.pending ? { pending: join.pending } : {}), ...seq };
    }
    if (since === undefined) return { recovered: false, messages: [] };
    const ack = await this.deps.request("chat:sync", { conversationId: track.name, since });
    return { recovered: ack.recovered, messages: ack.messages, ...(ack.pending ? { pending: ack.pending } : {}), ...(ack.seq !== undefined ? { seq: ack.seq } : {}) };
  }
}

/** Whether every seq of the range is among those the server said are on their way. */
function everyOnItsWay(range: { from: number; to: number }, onItsWay: ReadonlySet<number>): boolean {
  for (let seq = range.from; seq <= range.to; seq++) if (!onItsWay.has(seq)) return false;
  return true;
}
