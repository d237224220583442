import { describe, expect, it } from "vitest";
import { notificationDefaults } from "./config";
import { notificationsFrom } from "./config-env";

describe("notification settings from the environment", () => {
  it("no SMTP or VAPID: those channels are off; the schedule has its defaults", () => {
    expect(notificationsFrom({})).toEqual({ ...notificationDefaults, smtp: undefined, vapid: undefined });
  });

  it("reads SMTP, VAPID and the schedule; refuses half-set or malformed settings", () => {
    const n = notificationsFrom({
      SMTP_URL: "smtp://u:p@mail:587", SMTP_FROM: "School <no-reply@s.example>",
      VAPID_PUBLIC_KEY: "pub", VAPID_PRIVATE_KEY: "priv", VAPID_SUBJECT: "mailto:ops@s.example",
      NOTIFY_MAIL_PER_MINUTE: "30", NOTIFY_RETRY_ATTEMPTS: "4", NOTIFY_RETRY_BASE_MS: "100", NOTIFY_RETRY_MAX_MS: "800", NOTIFY_POLL_MS: "50",
    });
    expect(n).toMatchObject({ smtp: { url: "smtp://u:p@mail:587", from: "School <no-reply@s.example>" }, vapid: { publicKey: "pub", privateKey: "priv", subject: "mailto:ops@s.example" }, mailPerMinute: 30, retryAttempts: 4, retryBaseMs: 100, retryMaxMs: 800, pollMs: 50 });
    expect(() => notificationsFrom({ SMTP_URL: "smtp://mail" })).toThrow(/SMTP_FROM/);
    expect(() => notificationsFrom({ SMTP_URL: "http://mail", SMTP_FROM: "x@y.z" })).toThrow(/smtp:\/\//);
    expect(() => notificationsFrom({ VAPID_PUBLIC_KEY: "pub" })).toThrow(/go together/);
    expect(() => notificationsFrom({ VAPID_PUBLIC_KEY: "a", VAPID_PRIVATE_KEY: "b", VAPID_SUBJECT: "ops@s.example" })).toThrow(/mailto/);
    expect(() => notificationsFrom({ NOTIFY_RETRY_ATTEMPTS: "-1" })).toThrow(/non-negative integer/);
  });
});
