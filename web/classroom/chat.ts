import { createClient, type InterlinkedClient } from "../../sdk/src/index";

export interface ChatMessage {
  room: string;
  id: string;
  seq: number;
  user: string;
  text: string;
  sentAt: string;
}

export interface ClassNotification {
  id: string;
  title: string;
  body?: string;
}

export interface ChatHandlers {
  message(m: ChatMessage): void;
  members(users: string[]): void;
  notification(n: ClassNotification): void;
  status(text: string): void;
}

/**
 * The class's chat room and the classmates in it, through the SDK client on `/` (it rejoins the room
 * gap-free after reconnects and resends unacked messages): `room:message`, `room:member` diffs, and the
 * user's notifications (`notification`, `notification:backlog`).
 */
export class ClassChat {
  private readonly client: InterlinkedClient;
  private readonly seen = new Set<string>();
  private readonly members = new Set<string>();

  constructor(
    origin: string,
    token: string,
    private readonly room: string,
    private readonly on: ChatHandlers,
  ) {
    this.client = createClient({ url: origin, token, transports: ["websocket", "polling"] });
    this.client.on("room:message", (m) => this.deliver(m));
    this.client.on("room:member", (d) => {
      if (d.room !== room) return;
      if (d.action === "joined") this.members.add(d.user);
      else this.members.delete(d.user);
      on.members([...this.members].sort());
    });
    this.client.on("notification", (n) => on.notification(n));
    this.client.on("notification:backlog", (b) => {
      for (const n of b.notifications.slice(0, 5)) on.notification(n);
    });
    this.client.on("error", (err) => on.status(`chat: ${err.message}`));
    this.client.rooms.join(room).then(
      (joined) => {
        for (const u of joined.members ?? []) this.members.add(u);
        on.members([...this.members].sort());
        on.status("chat connected");
      },
      (err: unknown) => on.status(`chat unavailable: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private deliver(m: ChatMessage): void {
    if (m.room !== this.room || this.seen.has(m.id)) return;
    this.seen.add(m.id);
    this.on.message(m);
  }

  /** Sends `text`; the sender gets no push of its own message, so it is delivered locally once acked. */
  async send(user: string, text: string): Promise<void> {
    const sent = await this.client.rooms.send(this.room, text);
    this.deliver({ room: this.room, id: sent.id, seq: sent.seq, user, text, sentAt: new Date().toISOString() });
  }

  close(): void {
    this.client.close();
  }
}
