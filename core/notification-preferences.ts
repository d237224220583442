/**
 * A user's notification preferences and the pure rules that read them (docs/NOTIFICATIONS.md).
 *
 * - `channels`: the user's default per channel. Defaults: in-app on; email, push and webhook off.
 * - `feeds[feed]` / `kinds[feedKind]` / `direct`: overrides of some channels for a feed's notifications,
 *   for every feed of a kind (announcements, course), or for those sent to the user by name; a feed's own
 *   override wins over its kind's. `false` on every channel turns a feed (or a kind) off entirely.
 * - `whenOnline`: "in_app" (default) — a user with a live socket gets in-app only; "all" — every enabled channel.
 * - `quietHours`: email and push are held (persisted, not dropped) while the local time in `timeZone`
 *   is within [start, end); a window with start > end spans midnight.
 * - `email`: the address email goes to (kept here, not in `users`: the identity provider owns users).
 */
export const CHANNELS = ["inApp", "email", "push", "webhook"] as const;
export type Channel = (typeof CHANNELS)[number];
export type ChannelFlags = Record<Channel, boolean>;

export interface QuietHours {
  /** Local time `HH:MM` or `HH:MM:SS`. */
  start: string;
  end: string;
}

/** The kinds of feeds (db feeds.kind). */
export const FEED_KINDS = ["announcements", "course"] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

export interface NotificationPreferences {
  channels: ChannelFlags;
  feeds: Record<string, Partial<ChannelFlags>>;
  /** Overrides per feed kind, below a feed's own override. */
  kinds: Partial<Record<FeedKind, Partial<ChannelFlags>>>;
  direct: Partial<ChannelFlags>;
  whenOnline: "in_app" | "all";
  email: string | null;
  timeZone: string;
  quietHours: QuietHours | null;
}

export const defaultPreferences = (): NotificationPreferences => ({
  channels: { inApp: true, email: false, push: false, webhook: false },
  feeds: {},
  kinds: {},
  direct: {},
  whenOnline: "in_app",
  email: null,
  timeZone: "UTC",
  quietHours: null,
});

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

/** Seconds since local midnight of `HH:MM[:SS]`. */
function secondsOf(time: string): number {
  const [h = 0, m = 0, s = 0] = time.split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

/** Seconds since local midnight in `tz` at `now` (with its milliseconds). */
export function localSecondsOfDay(now: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get("hour") * 3600 + get("minute") * 60 + get("second") + now.getUTCMilliseconds() / 1000;
}

/**
 * When the user's quiet hours end, if `now` is inside them; undefined otherwise. Computed from the local
 * time of day in the user's zone (a DST change inside the window may shift the end by the change).
 */
export function quietUntil(prefs: Pick<NotificationPreferences, "quietHours" | "timeZone">, now: Date): Date | undefined {
  const q = prefs.quietHours;
  if (!q) return undefined;
  const start = secondsOf(q.start);
  const end = secondsOf(q.end);
  if (start === end) return undefined;
  const local = localSecondsOfDay(now, prefs.timeZone);
  const inside = start < end ? local >= start && local < end : local >= start || local < end;
  if (!inside) return undefined;
  const left = (end - local + 86_400) % 86_400;
  return new Date(now.getTime() + Math.ceil(left * 1000));
}

/** Whether a channel is on for a notification of `feed` of `kind` (feed undefined: sent to the user by name). */
export function channelEnabled(prefs: NotificationPreferences, channel: Channel, feed: string | undefined, kind?: FeedKind): boolean {
  if (feed === undefined) return prefs.direct[channel] ?? prefs.channels[channel];
  return prefs.feeds[feed]?.[channel] ?? (kind ? prefs.kinds[kind]?.[channel] : undefined) ?? prefs.channels[channel];
}

/**
 * The outbound channels (email, push) a notification goes to: the enabled ones, only when the user is
 * offline unless `whenOnline` is "all", and email only with an address.
 */
export function outboundChannels(prefs: NotificationPreferences, feed: string | undefined, online: boolean, kind?: FeedKind): Array<"email" | "push"> {
  if (online && prefs.whenOnline === "in_app") return [];
  const out: Array<"email" | "push"> = [];
  if (prefs.email && channelEnabled(prefs, "email", feed, kind)) out.push("email");
  if (channelEnabled(prefs, "push", feed, kind)) out.push("push");
  return out;
}

/** A stored document read back: unknown or missing fields take their defaults. */
export function withDefaults(stored: Partial<NotificationPreferences> | null | undefined): NotificationPreferences {
  const d = defaultPreferences();
  if (!stored) return d;
  return {
    channels: { ...d.channels, ...(stored.channels ?? {}) },
    feeds: stored.feeds ?? {},
    kinds: stored.kinds ?? {},
    direct: stored.direct ?? {},
    whenOnline: stored.whenOnline ?? d.whenOnline,
    email: stored.email ?? null,
    timeZone: stored.timeZone ?? d.timeZone,
    quietHours: stored.quietHours ?? null,
  };
}
