import { io, type Socket } from "socket.io-client";

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
  createdAt: string;
}

export interface ChatHandlers {
  message(m: ChatMessage): void;
  members(users: string[]): void;
  notification(n: ClassNotification): void;
  status(text: string): void;
}

/**
 * The class's chat room and the classmates in it, on the `/` namespace: `room:join` (with `since` after a
 * reconnect, so missed messages are recovered), `room:message`, `room:member` diffs, and the user's
 * notifications (`notification`, `notification:backlog`).
 */
export class ClassChat {
  private readonly socket: Socket;
  private lastSeq = 0;
  private readonly seen = new Set<string>();
  private readonly members = new Set<string>();

  constructor(
    origin: string,
    token: string,
    private readonly room: string,
    private readonly on: ChatHandlers,
  ) {
    this.socket = io(origin, { auth: { token }, transports: ["websocket", "polling"], forceNew: true });
    this.socket.on("connect", () => void this.join());
    this.socket.on("connect_error", (err) => on.status(`chat: ${err.message}`));
    this.socket.on("room:message", (m: ChatMessage) => this.deliver(m));
    this.socket.on("room:member", (d: { room: string; user: string; action: "joined" | "left" }) => {
      if (d.room !== room) return;
      if (d.action === "joined") this.members.add(d.user);
      else this.members.delete(d.user);
      on.members([...this.members].sort());
    });
    this.socket.on("notification", (n: ClassNotification) => on.notification(n));
    this.socket.on("notification:backlog", (b: { notifications: ClassNotification[] }) => {
      for (const n of b.notifications.slice(0, 5)) on.notification(n);
    });
  }

  private deliver(m: ChatMessage): void {
    if (m.room !== this.room || this.seen.has(m.id)) return;
    this.seen.add(m.id);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    this.on.message(m);
  }

  private async join(): Promise<void> {
    const res = (await this.socket.timeout(10_000).emitWithAck("room:join", { room: this.room, ...(this.lastSeq ? { since: this.lastSeq } : {}) })) as {
      error?: { code: number; message: string };
      members?: string[];
      messages?: ChatMessage[];
    };
    if (res.error) {
      this.on.status(`chat unavailable: ${res.error.code} ${res.error.message}`);
      return;
    }
    this.members.clear();
    for (const u of res.members ?? []) this.members.add(u);
    this.on.members([...this.members].sort());
    for (const m of res.messages ?? []) this.deliver(m);
    this.on.status("chat connected");
  }

  /** Sends `text`; the sender gets no push of its own message, so it is delivered locally once acked. */
  async send(user: string, text: string): Promise<void> {
    const res = (await this.socket.timeout(10_000).emitWithAck("room:message", { room: this.room, text })) as { error?: { code: number; message: string }; id?: string; seq?: number };
    if (res.error || !res.id || res.seq === undefined) throw new Error(res.error ? `${res.error.code} ${res.error.message}` : "no ack");
    this.deliver({ room: this.room, id: res.id, seq: res.seq, user, text, sentAt: new Date().toISOString() });
  }

  close(): void {
    this.socket.close();
  }
}
