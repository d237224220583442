import { describe, expect, it } from "vitest";
import { mintToken } from "../tests/support/nodes";
import { ErrorCode } from "./src/codes";
import type { InterlinkedError } from "./src/errors";
import { TokenKeeper, decodeJwtClaims, refreshDelayMs, type Clock } from "./src/token";

/** A clock whose timers run when the test advances it. */
function manualClock(start = 1_000_000_000_000) {
  let now = start;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  return {
    clock,
    pending: () => timers.map((t) => t.at - now),
    async advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

const fakeJwt = (claims: Record<string, unknown>): string => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

describe("SDK token handling (sdk/src/token.ts)", () => {
  it("decodes claims of a real token without verifying, and refuses what is not a JWT", async () => {
    const token = await mintToken("school-x", "ann", "teacher", 120);
    const claims = decodeJwtClaims(token);
    expect(claims).toMatchObject({ sub: "ann", tenant: "school-x", role: "teacher" });
    expect((claims?.exp ?? 0) - Date.now() / 1000).toBeGreaterThan(115);
    expect(decodeJwtClaims("not-a-jwt")).toBeUndefined();
    expect(decodeJwtClaims("a.!!!.c")).toBeUndefined();
    expect(decodeJwtClaims(`a.${Buffer.from("[1]").toString("base64url")}.c`)).toBeUndefined();
    expect(decodeJwtClaims(fakeJwt({ sub: "ü-user", exp: "soon" }))).toEqual({ sub: "ü-user" });
  });

  it("refreshes the margin before exp, or half-way for tokens shorter than twice the margin", () => {
    const now = 1_000_000;
    expect(refreshDelayMs(now / 1000 + 3600, now, 30_000)).toBe(3_570_000);
    expect(refreshDelayMs(now / 1000 + 20, now, 30_000)).toBe(10_000);
    expect(refreshDelayMs(now / 1000 + 20, now, 5_000)).toBe(15_000);
    expect(refreshDelayMs(now / 1000 + 20, now, 15_000)).toBe(10_000); // shorter than twice the margin: half-way
    expect(refreshDelayMs(now / 1000 - 1, now, 30_000)).toBe(0);
  });

  it("calls refreshToken before exp, hands the new token over and re-arms for the new exp", async () => {
    const m = manualClock();
    const exp = m.clock.now() / 1000 + 60;
    const refreshed: string[] = [];
    let calls = 0;
    const keeper = new TokenKeeper(
      { token: fakeJwt({ sub: "ann", exp }), refreshMarginMs: 10_000, refreshToken: () => fakeJwt({ sub: "ann", exp: exp + 60 * ++calls }) },
      { onRefreshed: async (t) => void refreshed.push(t), onError: (e) => expect.fail(e.message) },
      m.clock,
    );
    keeper.start();
    expect(m.pending()).toEqual([50_000]);
    await m.advance(49_999);
    expect(calls).toBe(0);
    await m.advance(1);
    expect(calls).toBe(1);
    expect(decodeJwtClaims(refreshed[0] as string)?.exp).toBe(exp + 60);
    expect(m.pending()).toEqual([60_000]); // 10 s before the new exp
    keeper.stop();
    expect(m.pending()).toEqual([]);
  });

  it("reports a failed refresh and retries every 5 s while the token lives; a handshake near exp fetches a fresh one", async () => {
    const m = manualClock();
    const exp = m.clock.now() / 1000 + 12;
    const errors: InterlinkedError[] = [];
    let fail = true;
    let calls = 0;
    const keeper = new TokenKeeper(
      {
        token: fakeJwt({ exp }),
        refreshMarginMs: 10_000,
        refreshToken: async () => {
          calls++;
          if (fail) throw new Error("auth server down");
          return fakeJwt({ exp: exp + 600 });
        },
      },
      { onRefreshed: async () => undefined, onError: (e) => errors.push(e) },
      m.clock,
    );
    keeper.start();
    await m.advance(6_000); // half of 12 s
    expect(calls).toBe(1);
    expect(errors[0]).toMatchObject({ code: ErrorCode.Internal, event: "auth:refresh" });
    expect(m.pending()).toEqual([5_000]);
    await m.advance(5_000);
    expect(calls).toBe(2);
    expect(m.pending()).toEqual([1_000]); // never past exp
    fail = false;
    expect(decodeJwtClaims(await keeper.current())?.exp).toBe(exp + 600); // within 5 s of exp: fresh
    keeper.stop();
  });

  it("needs a token or a callback; without a callback an expired token cannot be replaced", async () => {
    expect(() => new TokenKeeper({}, { onRefreshed: async () => undefined, onError: () => undefined })).toThrow(/token/);
    const keeper = new TokenKeeper({ token: fakeJwt({ exp: 1 }) }, { onRefreshed: async () => undefined, onError: () => undefined });
    expect(keeper.refreshable).toBe(false);
    await expect(keeper.fetch()).rejects.toMatchObject({ code: ErrorCode.TokenExpired });
    const viaGetToken = new TokenKeeper({ getToken: () => fakeJwt({ sub: "bob" }) }, { onRefreshed: async () => undefined, onError: () => undefined });
    expect(decodeJwtClaims(await viaGetToken.current())?.sub).toBe("bob");
  });
});
