import type { AckOf, Payloads, PresenceStatus } from "./protocol";
import type { Requester } from "./request";

/** Most users one presence:subscribe may name (the server's bound). */
const BATCH = 500;

/**
 * Presence subscriptions and the own status are per connection on the server: this keeps them and
 * re-establishes them after every reconnect, reporting statuses that changed meanwhile as `presence` events.
 */
export class PresenceKeeper {
  private readonly watched = new Set<string>();
  private readonly known = new Map<string, PresenceStatus>();
  private status: "online" | "away" = "online";

  constructor(
    private readonly request: Requester<Payloads, AckOf>,
    private readonly changed: (info: { user: string; status: PresenceStatus }) => void,
  ) {}

  async set(status: "online" | "away"): Promise<AckOf["presence:set"]> {
    const ack = await this.request("presence:set", { status });
    this.status = status;
    return ack;
  }

  query(users: string[]): Promise<AckOf["presence:query"]> {
    return this.request("presence:query", { users });
  }

  async subscribe(users: string[]): Promise<AckOf["presence:subscribe"]> {
    const ack = await this.request("presence:subscribe", { users });
    for (const u of users) this.watched.add(u);
    for (const [user, status] of Object.entries(ack.statuses)) this.known.set(user, status);
    return ack;
  }

  async unsubscribe(users: string[]): Promise<AckOf["presence:unsubscribe"]> {
    const ack = await this.request("presence:unsubscribe", { users });
    for (const u of users) {
      this.watched.delete(u);
      this.known.delete(u);
    }
    return ack;
  }

  /** A live `presence` event. */
  seen(info: { user: string; status: PresenceStatus }): void {
    if (this.watched.has(info.user)) this.known.set(info.user, info.status);
  }

  /** After a reconnect: the own status, then the subscriptions; changed statuses are reported. */
  async restore(): Promise<void> {
    if (this.status === "away") await this.request("presence:set", { status: "away" });
    const users = [...this.watched];
    for (let i = 0; i < users.length; i += BATCH) {
      const ack = await this.request("presence:subscribe", { users: users.slice(i, i + BATCH) });
      for (const [user, status] of Object.entries(ack.statuses)) {
        if (this.known.get(user) !== status) {
          this.known.set(user, status);
          this.changed({ user, status });
        }
      }
    }
  }
}
