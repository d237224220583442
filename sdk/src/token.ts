import { ErrorCode } from "./codes";
import { InterlinkedError, toInterlinkedError } from "./errors";

/** The claims the SDK reads from a token (decoded, never verified: the server verifies). */
export interface TokenClaims {
  sub?: string;
  tenant?: string;
  role?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The payload of a JWT (`header.payload.signature`), or undefined when it is not one. Does not verify. */
export function decodeJwtClaims(token: string): TokenClaims | undefined {
  const part = token.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(base64UrlDecode(part));
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return undefined;
    const c = claims as Record<string, unknown>;
    const out: TokenClaims = {};
    if (typeof c.sub === "string") out.sub = c.sub;
    if (typeof c.tenant === "string") out.tenant = c.tenant;
    if (typeof c.role === "string") out.role = c.role;
    if (typeof c.exp === "number" && Number.isFinite(c.exp)) out.exp = c.exp;
    if (typeof c.iat === "number" && Number.isFinite(c.iat)) out.iat = c.iat;
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds from `nowMs` until a token expiring at `expSeconds` should be refreshed: `marginMs` before
 * `exp`; a token living less than twice the margin is refreshed half-way through its remaining life
 * instead (so a refresh is not attempted the moment it arrives); 0 when it has expired.
 */
export function refreshDelayMs(expSeconds: number, nowMs: number, marginMs: number): number {
  const remaining = expSeconds * 1000 - nowMs;
  if (remaining <= 0) return 0;
  return Math.max(remaining - marginMs, remaining / 2);
}

/** Where tokens come from: the initial one and/or a callback that returns a fresh one. */
export interface TokenSourceOptions {
  token?: string;
  /** Returns a fresh token (same user and tenant); called before `exp`, and when a handshake needs one. */
  refreshToken?: () => Promise<string> | string;
  /** Alias of `refreshToken` (for apps that get every token, the first one included, from a callback). */
  getToken?: () => Promise<string> | string;
  /** Refresh this long before `exp` (default 30 s; short tokens refresh half-way). */
  refreshMarginMs?: number;
}

/** Timer functions (tests pass fake ones). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const RETRY_FAILED_REFRESH_MS = 5_000;

/**
 * Keeps the client's token fresh. `current()` gives the token for a handshake (fetching one through the
 * callback when there is none or it is about to expire); `start()` arms a timer that, `refreshDelayMs`
 * before `exp`, calls the app's `refreshToken()` and hands the result to `onRefreshed` (which sends
 * `auth:refresh` on the live connection). A failed refresh is reported through `onError` and retried
 * every 5 s while the token lives.
 */
export class TokenKeeper {
  private token: string | undefined;
  private decoded: { token: string; claims: TokenClaims | undefined } | undefined;
  private timer: unknown;
  private inflight: Promise<string> | undefined;
  private stopped = false;
  private readonly marginMs: number;
  private readonly callback: (() => Promise<string> | string) | undefined;

  constructor(
    private readonly options: TokenSourceOptions,
    private readonly hooks: { onRefreshed(token: string): Promise<void>; onError(error: InterlinkedError): void },
    private readonly clock: Clock = systemClock,
  ) {
    this.token = options.token;
    this.marginMs = options.refreshMarginMs ?? 30_000;
    this.callback = options.refreshToken ?? options.getToken;
    if (!options.token && !this.callback) throw new InterlinkedError(ErrorCode.Unauthorized, "createClient needs `token`, `refreshToken` or `getToken`", { temporary: false });
  }

  /** The token last obtained (may be expired). */
  get value(): string | undefined {
    return this.token;
  }

  /** Whether a callback can produce fresh tokens. */
  get refreshable(): boolean {
    return this.callback !== undefined;
  }

  /** Claims of the current token (decoded once per token: every connect and recovery asks). */
  get claims(): TokenClaims | undefined {
    if (this.token === undefined) return undefined;
    if (this.decoded?.token !== this.token) this.decoded = { token: this.token, claims: decodeJwtClaims(this.token) };
    return this.decoded.claims;
  }

  /** A token for a handshake: the current one, or a fresh one when there is none or it expires within the margin. */
  async current(): Promise<string> {
    const exp = this.claims?.exp;
    const stale = this.token === undefined || (exp !== undefined && exp * 1000 - this.clock.now() <= Math.min(this.marginMs, 5_000));
    if (stale && this.callback) return this.fetch();
    if (this.token === undefined) throw new InterlinkedError(ErrorCode.Unauthorized, "no token", { temporary: false });
    return this.token;
  }

  /** Fetches a fresh token through the callback now (one call at a time), without telling the server. */
  async fetch(): Promise<string> {
    const refresh = this.callback;
    if (!refresh) throw new InterlinkedError(ErrorCode.TokenExpired, "token expired and no refreshToken callback was given", { temporary: false });
    this.inflight ??= (async () => {
      try {
        const token = await refresh();
        if (typeof token !== "string" || token.length === 0) throw new InterlinkedError(ErrorCode.TokenInvalid, "refreshToken() returned no token", { temporary: false });
        this.token = token;
        return token;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** Arms the refresh timer for the current token (no-op without a callback or an `exp`). */
  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Refreshes now: fetches a token, hands it to `onRefreshed`, re-arms. */
  async refreshNow(): Promise<void> {
    try {
      const token = await this.fetch();
      await this.hooks.onRefreshed(token);
      this.arm();
    } catch (err) {
      const error = toInterlinkedError(err, "auth:refresh");
      this.hooks.onError(error);
      this.arm(RETRY_FAILED_REFRESH_MS);
    }
  }

  private arm(retryMs?: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const exp = this.claims?.exp;
    if (this.stopped || !this.callback || exp === undefined) return;
    const now = this.clock.now();
    if (retryMs !== undefined && exp * 1000 <= now) return; // expired: the next handshake fetches a fresh one
    const delay = retryMs === undefined ? refreshDelayMs(exp, now, this.marginMs) : Math.min(retryMs, Math.max(0, exp * 1000 - now));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refreshNow();
    }, delay);
  }
}
