import { describe, expect, it } from "vitest";
import { channelEnabled, defaultPreferences, isTimeZone, outboundChannels, quietUntil, withDefaults } from "./notification-preferences";

describe("notification preferences", () => {
  it("defaults: in-app on; email, push and webhook off; nothing outbound", () => {
    const d = defaultPreferences();
    expect(d.channels).toEqual({ inApp: true, email: false, push: false, webhook: false });
    expect(outboundChannels(d, undefined, false)).toEqual([]);
    expect(withDefaults({ channels: { email: true } as never }).channels).toEqual({ inApp: true, email: true, push: false, webhook: false });
  });

  it("feed and direct overrides win over the defaults; email needs an address; online users get in-app only unless whenOnline is all", () => {
    const p = { ...defaultPreferences(), channels: { inApp: true, email: true, push: true, webhook: true }, email: "s@x.example", feeds: { news: { email: false, inApp: false } }, direct: { push: false } };
    expect(outboundChannels(p, undefined, false)).toEqual(["email"]);
    expect(outboundChannels(p, "news", false)).toEqual(["push"]);
    expect(outboundChannels(p, "other", false)).toEqual(["email", "push"]);
    expect(outboundChannels(p, "other", true)).toEqual([]);
    expect(outboundChannels({ ...p, whenOnline: "all" }, "other", true)).toEqual(["email", "push"]);
    expect(outboundChannels({ ...p, email: null }, "other", false)).toEqual(["push"]);
    expect(channelEnabled(p, "inApp", "news")).toBe(false);
    expect(channelEnabled(p, "webhook", "news")).toBe(true);
  });

  it("a feed's own override wins over its kind's, which wins over the defaults; direct notifications ignore kinds", () => {
    const p = { ...defaultPreferences(), channels: { inApp: true, email: true, push: true, webhook: false }, email: "s@x.example", kinds: { announcements: { email: false, push: false } }, feeds: { news: { email: true } } };
    expect(outboundChannels(p, "sports", false, "announcements")).toEqual([]);
    expect(outboundChannels(p, "news", false, "announcements")).toEqual(["email"]);
    expect(outboundChannels(p, "maths", false, "course")).toEqual(["email", "push"]);
    expect(outboundChannels(p, undefined, false)).toEqual(["email", "push"]);
    expect(channelEnabled(p, "inApp", "sports", "announcements")).toBe(true);
  });

  it("quiet hours in the user's zone, spanning midnight or not", () => {
    // 2026-01-15 23:30 UTC = 00:30 in Europe/Paris (UTC+1)
    const now = new Date("2026-01-15T23:30:00Z");
    const paris = { timeZone: "Europe/Paris" };
    expect(quietUntil({ ...paris, quietHours: { start: "22:00", end: "07:00" } }, now)?.toISOString()).toBe("2026-01-16T06:00:00.000Z");
    expect(quietUntil({ ...paris, quietHours: { start: "00:00", end: "00:45" } }, now)?.toISOString()).toBe("2026-01-15T23:45:00.000Z");
    expect(quietUntil({ ...paris, quietHours: { start: "08:00", end: "17:00" } }, now)).toBeUndefined();
    expect(quietUntil({ timeZone: "UTC", quietHours: { start: "22:00", end: "07:00" } }, now)?.toISOString()).toBe("2026-01-16T07:00:00.000Z");
    expect(quietUntil({ ...paris, quietHours: null }, now)).toBeUndefined();
    expect(quietUntil({ ...paris, quietHours: { start: "10:00", end: "10:00" } }, now)).toBeUndefined();
  });

  it("knows IANA time zones", () => {
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});
