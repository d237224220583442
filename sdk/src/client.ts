import { ErrorCode } from "./codes";
import { Connection, type ConnectionOptions, type ConnectionState, type WireSocket } from "./connection";
import { Emitter } from "./emitter";
import { InterlinkedError } from "./errors";
import type { ClientEvents } from "./events";
import { Outbox, type SentMessage } from "./outbox";
import { PresenceKeeper } from "./presence";
import type { AckOf, ChatMessageDelivery, Payloads, PresenceStatus, RoomMessageDelivery } from "./protocol";
import { DEFAULT_REQUEST_TIMEOUT_MS, request, type RequestOptions } from "./request";
import { Rejoiner, type JoinResult, type RecoveryInfo } from "./rejoin";
import { TokenKeeper, systemClock, type Clock, type TokenSourceOptions } from "./token";

export interface ClientOptions extends TokenSourceOptions, Omit<ConnectionOptions, "urls"> {
  /** The server (or several nodes, tried in turn). */
  url: string | readonly string[];
  /** Default ack timeout of requests (10 s). */
  requestTimeoutMs?: number;
  /** How long `rooms.send` / `chat.send` keep a message for resends before giving up (default 60 s). */
  sendTimeoutMs?: number;
  /**
   * How long a hole in a live stream may stay before it is fetched (default 500 ms). Under load it grows,
   * up to 16×, while fetches turn out not to be needed (sdk/src/gap-wait.ts).
   */
  gapWaitMs?: number;
  /**
   * How long a rejoin waits for the acks of this client's resent messages before delivering the missed
   * ones (default 2 s); see docs/CLIENT.md "Reconnection".
   */
  resendSettleMs?: number;
  /** Connect at once (default true); otherwise call `connect()`. */
  autoConnect?: boolean;
  /** Timers (tests). */
  clock?: Clock;
}

export interface InterlinkedClient {
  /** The connection's state. */
  readonly state: ConnectionState;
  /** The user id (`sub`) of the current token. */
  readonly user: string | undefined;
  /** The live socket.io-client socket, when connected (for events the SDK does not wrap). */
  readonly socket: WireSocket | undefined;
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void;
  once<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void;
  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void;
  /** Resolves once connected (rejects when the client stopped for good). */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * Any client → server event with its typed payload; resolves with the typed ack or rejects with
   * InterlinkedError. Waits for the connection when reconnecting (within the timeout).
   */
  request<E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E], options?: RequestOptions): Promise<AckOf[E]>;
  rooms: {
    /** Joins and follows the room; with `since`, the messages after it go to the `room:message` listeners first. */
    join(room: string, options?: { since?: number }): Promise<JoinResult>;
    leave(room: string): Promise<void>;
    /** A keyed message: resent with the same key until acked (stored once); resolves with `{ id, seq }`. */
    send(room: string, text: string): Promise<SentMessage>;
    typing(room: string): Promise<void>;
    members(room: string): Promise<AckOf["room:members"]>;
    /** Rooms followed (rejoined after reconnects). */
    joined(): string[];
    /** Highest seq delivered or sent in the room. */
    lastSeq(room: string): number | undefined;
  };
  chat: {
    send(conversationId: string, text: string): Promise<SentMessage>;
    /** Follows the conversation from `since`; the messages after it go to the `chat:message` listeners. */
    sync(conversationId: string, since: number): Promise<RecoveryInfo>;
    receipt(conversationId: string, kind: "delivered" | "read", upToSeq: number): Promise<AckOf["chat:receipt"]>;
    typing(conversationId: string): Promise<void>;
    lastSeq(conversationId: string): number | undefined;
  };
  presence: {
    set(status: "online" | "away"): Promise<AckOf["presence:set"]>;
    query(users: string[]): Promise<Record<string, PresenceStatus>>;
    /** Watches users (kept over reconnects); changes arrive as `presence` events. */
    subscribe(users: string[]): Promise<Record<string, PresenceStatus>>;
    unsubscribe(users: string[]): Promise<void>;
  };
  feeds: {
    subscribe(feed: string): Promise<void>;
    unsubscribe(feed: string): Promise<void>;
  };
  notifications: {
    /** Marks notifications read (`"all"` or ids); resolves with how many were marked. */
    markRead(ids: string[] | "all"): Promise<number>;
  };
  /** Starts connecting (when `autoConnect: false`). */
  connect(): void;
  /** Closes for good: no reconnect; unacked messages reject with 5001. */
  close(): void;
}

/**
 * Creates a client (docs/CLIENT.md). It connects at once, reconnects after any loss with backoff (to the
 * next of several URLs), rejoins rooms and syncs conversations with `since` gap-free (rejoin.ts), resends
 * unacked keyed messages (outbox.ts), refreshes the token before `exp` (token.ts) and reports numbered
 * errors as InterlinkedError.
 */
export function createClient(options: ClientOptions): InterlinkedClient {
  const clock = options.clock ?? systemClock;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const events = new Emitter<ClientEvents>();
  const liveWaiters = new Set<{ resolve(): void; reject(e: InterlinkedError): void }>();
  const emitAny = (name: string, args: unknown[]): void => (events.emit as (e: string, ...a: unknown[]) => void)(name, ...args);

  const tokens = new TokenKeeper(
    options,
    {
      async onRefreshed(token) {
        const socket = connection.live;
        if (!socket) return; // the next handshake uses it
        const { exp } = await request<AckOf, "auth:refresh">(socket, "auth:refresh", { token }, { timeoutMs: requestTimeoutMs, whenDisconnected: "fail" });
        events.emit("token:refreshed", { exp });
      },
      onError: (error) => events.emit("error", error),
    },
    clock,
  );

  /** The live socket, waiting for a (re)connect up to `deadline`. */
  const live = (deadline: number): Promise<WireSocket> => {
    const now = connection.live;
    if (now) return Promise.resolve(now);
    if (connection.state === "closed") return Promise.reject(new InterlinkedError(ErrorCode.Unavailable, "client closed", { temporary: false }));
    return new Promise<WireSocket>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clock.clearTimeout(timer);
          liveWaiters.delete(waiter);
          const s = connection.live;
          if (s) resolve(s);
          else reject(new InterlinkedError(ErrorCode.Unavailable, "not connected", { temporary: true }));
        },
        reject: (e: InterlinkedError) => {
          clock.clearTimeout(timer);
          liveWaiters.delete(waiter);
          reject(e);
        },
      };
      const timer = clock.setTimeout(() => waiter.reject(new InterlinkedError(ErrorCode.Timeout, "not connected in time", { temporary: true })), Math.max(0, deadline - clock.now()));
      liveWaiters.add(waiter);
    });
  };

  const call = async <E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E], opts: RequestOptions = {}): Promise<AckOf[E]> => {
    const timeoutMs = opts.timeoutMs ?? requestTimeoutMs;
    const deadline = clock.now() + timeoutMs;
    let socket: WireSocket;
    try {
      socket = await live(deadline);
    } catch (err) {
      if (err instanceof InterlinkedError) throw new InterlinkedError(err.code, `${event}: ${err.message}`, { temporary: err.temporary, event });
      throw err;
    }
    return request<AckOf, E>(socket, event, payload, { ...opts, timeoutMs: Math.max(1, deadline - clock.now()), whenDisconnected: "fail" });
  };

  const outbox: Outbox = new Outbox(
    {
      send: (event, payload) => {
        const socket = connection.live;
        if (!socket) return Promise.reject(new InterlinkedError(ErrorCode.Unavailable, "not connected", { temporary: true, event }));
        return event === "room:message"
          ? request<AckOf, "room:message">(socket, event, payload, { timeoutMs: requestTimeoutMs, whenDisconnected: "fail" })
          : request<AckOf, "chat:send">(socket, event, payload, { timeoutMs: requestTimeoutMs, whenDisconnected: "fail" });
      },
      ready: (stream: string): boolean => rejoiner.ready(stream),
      acked: (stream, ack) => rejoiner.acked(stream, ack),
      clock,
    },
    options.sendTimeoutMs ?? 60_000,
  );

  const rejoiner: Rejoiner = new Rejoiner({
    request: call,
    outbox,
    clock,
    connected: () => connection.live !== undefined,
    deliverRoom: (m: RoomMessageDelivery) => events.emit("room:message", m),
    deliverChat: (m: ChatMessageDelivery) => events.emit("chat:message", m),
    rejoined: (info) => events.emit("rejoined", info),
    synced: (info) => events.emit("synced", info),
    late: (info) => events.emit("late", info),
    error: (error) => events.emit("error", error),
    gapWaitMs: options.gapWaitMs ?? 500,
    settleWaitMs: options.resendSettleMs ?? 2_000,
    user: () => tokens.claims?.sub,
  });

  const presence = new PresenceKeeper(call, (info) => events.emit("presence", info));

  const connection: Connection = new Connection(
    { ...options, urls: typeof options.url === "string" ? [options.url] : options.url },
    {
      token: (fresh) => (fresh ? tokens.fetch() : tokens.current()),
      canRefreshToken: tokens.refreshable,
      event(name, args) {
        if (name === "room:message") return rejoiner.roomMessage(args[0] as RoomMessageDelivery);
        if (name === "chat:message") return rejoiner.chatMessage(args[0] as ChatMessageDelivery);
        if (name === "presence") presence.seen(args[0] as { user: string; status: PresenceStatus });
        if (name === "room:kicked") rejoiner.forgetRoom((args[0] as { room: string }).room);
        emitAny(name, args);
      },
      connected(_socket, info) {
        tokens.start();
        for (const w of [...liveWaiters]) w.resolve();
        events.emit("connected", info);
        if (info.reconnect) {
          rejoiner.reconnected();
          presence.restore().catch((err: unknown) => {
            if (err instanceof InterlinkedError && connection.live) events.emit("error", err);
          });
        }
        outbox.pump();
      },
      disconnected(info) {
        rejoiner.disconnected();
        if (!info.willReconnect) {
          tokens.stop();
          const error = new InterlinkedError(info.code ?? ErrorCode.Unavailable, info.message ?? "client stopped", { temporary: false });
          for (const w of [...liveWaiters]) w.reject(error);
          outbox.close();
        }
        events.emit("disconnected", info);
      },
      reconnecting: (info) => events.emit("reconnecting", info),
    },
    clock,
  );

  let started = false;
  const client: InterlinkedClient = {
    get state() {
      return connection.state;
    },
    get user() {
      return tokens.claims?.sub;
    },
    get socket() {
      return connection.live;
    },
    on: (event, listener) => events.on(event, listener),
    once: (event, listener) => events.once(event, listener),
    off: (event, listener) => events.off(event, listener),
    ready: async (timeoutMs = requestTimeoutMs) => {
      await live(clock.now() + timeoutMs);
    },
    request: call,
    rooms: {
      join: (room, opts = {}) => rejoiner.join(room, opts.since),
      async leave(room) {
        rejoiner.forgetRoom(room);
        await call("room:leave", { room });
      },
      send: (room, text) => outbox.sendRoom(room, text),
      async typing(room) {
        await call("room:typing", { room });
      },
      members: (room) => call("room:members", { room }),
      joined: () => rejoiner.joinedRooms(),
      lastSeq: (room) => rejoiner.lastSeq("room", room),
    },
    chat: {
      send: (conversationId, text) => outbox.sendChat(conversationId, text),
      sync: (conversationId, since) => rejoiner.sync(conversationId, since),
      receipt: (conversationId, kind, upToSeq) => call("chat:receipt", { conversationId, kind, upToSeq }),
      async typing(conversationId) {
        await call("chat:typing", { conversationId });
      },
      lastSeq: (conversationId) => rejoiner.lastSeq("chat", conversationId),
    },
    presence: {
      set: (status) => presence.set(status),
      query: async (users) => (await presence.query(users)).statuses,
      subscribe: async (users) => (await presence.subscribe(users)).statuses,
      async unsubscribe(users) {
        await presence.unsubscribe(users);
      },
    },
    feeds: {
      async subscribe(feed) {
        await call("feed:subscribe", { feed });
      },
      async unsubscribe(feed) {
        await call("feed:unsubscribe", { feed });
      },
    },
    notifications: {
      markRead: async (ids) => (await call("notification:read", ids === "all" ? { all: true } : { ids })).marked,
    },
    connect() {
      if (started) return;
      started = true;
      connection.start();
    },
    close() {
      tokens.stop();
      connection.close();
      const error = new InterlinkedError(ErrorCode.Unavailable, "client closed", { temporary: false });
      for (const w of [...liveWaiters]) w.reject(error);
      outbox.close();
    },
  };
  if (options.autoConnect !== false) client.connect();
  return client;
}
