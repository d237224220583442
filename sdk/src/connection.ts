import { io, type Socket } from "socket.io-client";
import { ErrorCode } from "./codes";
import { InterlinkedError, isErrorBody, toInterlinkedError } from "./errors";
import type { ClientToServerEvents, ServerToClientEvents } from "./protocol";
import type { Clock } from "./token";

export type WireSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "closed";

export interface ConnectionOptions {
  /** One URL, or several nodes tried in turn (the next one after each failure or server-side disconnect). */
  urls: readonly string[];
  /** Socket.IO path (default `/socket.io`). */
  path?: string;
  /** Engine.IO transports (default websocket only). */
  transports?: Array<"websocket" | "polling" | "webtransport">;
  /** Reconnect backoff: first delay (default 100 ms), doubling up to `maxDelayMs` (default 5 s), ± 25 % jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Handshake timeout of an attempt (default 5 s). Each handshake in a row that timed out doubles the
   * next one's, up to 4× (see `handshakeTimeoutMs`); a connect resets it.
   */
  connectTimeoutMs?: number;
}

export interface ConnectionHooks {
  /** A token for the next handshake; `fresh` asks for a new one (the last was expired or revoked). */
  token(fresh: boolean): Promise<string>;
  /** Whether `token(true)` can produce a new token (the app gave a callback). */
  canRefreshToken: boolean;
  /** Every server event of the live socket. */
  event(name: string, args: unknown[]): void;
  connected(socket: WireSocket, info: { url: string; reconnect: boolean }): void;
  disconnected(info: { reason: string; code?: number; message?: string; willReconnect: boolean }): void;
  reconnecting(info: { attempt: number; delayMs: number; url: string; error?: InterlinkedError }): void;
}

/** How many times its configured handshake timeout an attempt may wait at most. */
export const MAX_HANDSHAKE_TIMEOUT_FACTOR = 4;

/**
 * The handshake timeout of the next attempt after `timeoutsInARow` handshakes that timed out: the
 * configured one doubled per timeout, capped at MAX_HANDSHAKE_TIMEOUT_FACTOR× it. A server that needs
 * longer than the configured timeout to answer a handshake (a node taking over a dead node's clients on a
 * loaded machine) would otherwise time every attempt out, and each abandoned handshake is work it did
 * for nothing: a retry storm nobody leaves. Growing the wait, as TCP does for its SYN, lets them in.
 */
export function handshakeTimeoutMs(configuredMs: number, timeoutsInARow: number): number {
  return Math.min(configuredMs * 2 ** timeoutsInARow, configuredMs * MAX_HANDSHAKE_TIMEOUT_FACTOR);
}

/** socket.io-client's connect_error message when the handshake's `timeout` passed. */
const HANDSHAKE_TIMEOUT_MESSAGE = "timeout";

/** Handshake refusals that a new token may cure. */
const TOKEN_CODES = new Set<number>([ErrorCode.TokenExpired, ErrorCode.TokenRevoked, ErrorCode.TokenInvalid, ErrorCode.Unauthorized]);

/**
 * One logical connection over a succession of socket.io-client sockets: the SDK's own reconnect loop
 * (socket.io's is off) so that every attempt can take a fresh token and the next node URL. Reconnects
 * after any disconnect the client did not ask for — transport loss, a killed node, `app:draining`,
 * `app:disconnect` (2002/2006 get a fresh token first, 5003 reconnects as is) — with backoff, forever,
 * except when a handshake is refused for a reason no retry can cure (a 1xxx/2xxx refusal that a fresh
 * token did not fix): then the state becomes `closed` and `disconnected` says so with its code.
 */
export class Connection {
  private socket: WireSocket | undefined;
  private stateValue: ConnectionState = "connecting";
  private urlIndex = 0;
  private attempt = 0;
  /** Handshakes in a row that timed out (sets the next one's timeout). */
  private handshakeTimeouts = 0;
  private everConnected = false;
  private timer: unknown;
  private lastServerCode: { code: number; message: string } | undefined;
  private needFreshToken = false;
  private freshTokenTried = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
    private readonly clock: Clock,
  ) {
    if (options.urls.length === 0) throw new InterlinkedError(ErrorCode.BadRequest, "createClient needs at least one url", { temporary: false });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The live socket, when connected. */
  get live(): WireSocket | undefined {
    return this.stateValue === "connected" ? this.socket : undefined;
  }

  get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length] as string;
  }

  start(): void {
    void this.open();
  }

  /** Closes for good: no reconnect. */
  close(): void {
    if (this.stateValue === "closed") return;
    const wasConnected = this.stateValue === "connected";
    this.stateValue = "closed";
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.drop();
    if (wasConnected) this.hooks.disconnected({ reason: "io client disconnect", willReconnect: false });
  }

  /** Drops the current socket and reconnects (to the next URL), e.g. when the node announced it drains. */
  reconnectSoon(): void {
    if (this.stateValue !== "connected") return;
    this.lost("node draining");
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    s.offAny();
    s.removeAllListeners();
    s.disconnect();
  }

  private async open(): Promise<void> {
    if (this.stateValue === "closed") return;
    let token: string;
    try {
      token = await this.hooks.token(this.needFreshToken);
    } catch (err) {
      this.fail(toInterlinkedError(err, "auth"), "token callback failed");
      return;
    }
    if (this.isClosed()) return; // closed while the token was being fetched
    const url = this.url;
    const socket: WireSocket = io(url, {
      forceNew: true,
      reconnection: false,
      auth: { token },
      transports: this.options.transports ?? ["websocket"],
      timeout: handshakeTimeoutMs(this.options.connectTimeoutMs ?? 5_000, this.handshakeTimeouts),
      ...(this.options.path === undefined ? {} : { path: this.options.path }),
    });
    this.socket = socket;
    socket.onAny((name: string, ...args: unknown[]) => {
      if (this.socket !== socket) return;
      if (name === "app:disconnect" && isErrorBody(args[0])) this.lastServerCode = { code: args[0].code, message: args[0].message };
      this.hooks.event(name, args);
    });
    socket.on("connect", () => {
      if (this.socket !== socket) return;
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.attempt = 0;
      this.handshakeTimeouts = 0;
      this.needFreshToken = false;
      this.freshTokenTried = false;
      this.lastServerCode = undefined;
      this.stateValue = "connected";
      this.hooks.connected(socket, { url, reconnect });
    });
    socket.on("connect_error", (err: Error) => {
      if (this.socket !== socket) return;
      this.drop();
      this.handshakeTimeouts = err.message === HANDSHAKE_TIMEOUT_MESSAGE ? this.handshakeTimeouts + 1 : 0;
      const error = toInterlinkedError(err, "connect");
      const refused = isErrorBody((err as Error & { data?: unknown }).data);
      if (refused && TOKEN_CODES.has(error.code)) {
        if (this.freshTokenTried || !this.hooks.canRefreshToken) return this.fail(error, "handshake refused");
        this.needFreshToken = true;
        this.freshTokenTried = true;
      } else if (refused && !error.temporary) {
        return this.fail(error, "handshake refused");
      }
      this.retry(error);
    });
    socket.on("disconnect", (reason: string) => {
      if (this.socket !== socket) return;
      this.lost(reason);
    });
  }

  /** The live socket went away without the client asking. */
  private lost(reason: string): void {
    const server = this.lastServerCode;
    this.lastServerCode = undefined;
    this.drop();
    if (this.stateValue === "closed") return;
    if (server && (server.code === ErrorCode.TokenExpired || server.code === ErrorCode.TokenRevoked)) {
      // expired or revoked: only a fresh token helps
      if (!this.hooks.canRefreshToken) return this.fail(new InterlinkedError(server.code, server.message), reason);
      this.needFreshToken = true;
    }
    this.stateValue = "reconnecting";
    this.hooks.disconnected({ reason, ...(server ? { code: server.code, message: server.message } : {}), willReconnect: true });
    this.retry(server ? new InterlinkedError(server.code, server.message) : undefined);
  }

  private retry(error?: InterlinkedError): void {
    if (this.stateValue === "closed") return;
    this.stateValue = this.everConnected ? "reconnecting" : "connecting";
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    const min = this.options.minDelayMs ?? 100;
    const max = this.options.maxDelayMs ?? 5_000;
    const base = Math.min(max, min * 2 ** this.attempt);
    const delayMs = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.hooks.reconnecting({ attempt: this.attempt, delayMs, url: this.url, ...(error ? { error } : {}) });
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.open();
    }, delayMs);
  }

  private isClosed(): boolean {
    return this.stateValue === "closed";
  }

  private fail(error: InterlinkedError, reason: string): void {
    if (this.stateValue === "closed") return;
    this.stateValue = "closed";
    this.drop();
    this.hooks.disconnected({ reason, code: error.code, message: error.message, willReconnect: false });
  }
}
