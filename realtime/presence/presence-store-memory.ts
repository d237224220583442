import { REAP_MARK_MS, type PresenceStatus, type PresenceStore, type SessionRef } from "./presence-store";

interface Session {
  ref: SessionRef;
  node: string;
  status: "online" | "away";
  rooms: Set<string>;
}

/** In-process PresenceStore: the embedded default (one node) and the contract's reference. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly sessions = new Map<string, Session>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly rooms = new Map<string, Map<string, number>>();
  private readonly beats = new Map<string, number>();
  /** Nodes being reaped → until when (ms). */
  private readonly reapMarks = new Map<string, number>();

  constructor(private readonly nodeTtlMs = 10_000) {}

  private userKey = (tenant: string, user: string): string => `${tenant}\u0000${user}`;
  private roomKey = (tenant: string, room: string): string => `${tenant}\u0000${room}`;

  private statusOf(tenant: string, user: string): PresenceStatus {
    const ids = this.byUser.get(this.userKey(tenant, user));
    if (!ids || ids.size === 0) return "offline";
    return [...ids].some((id) => this.sessions.get(id)?.status === "online") ? "online" : "away";
  }

  async connect(ref: SessionRef, node: string): Promise<{ cameOnline: boolean }> {
    const key = this.userKey(ref.tenant, ref.user);
    const ids = this.byUser.get(key) ?? new Set<string>();
    this.byUser.set(key, ids);
    const cameOnline = ids.size === 0;
    ids.add(ref.sessionId);
    this.sessions.set(ref.sessionId, { ref, node, status: "online", rooms: new Set() });
    return { cameOnline };
  }

  async disconnect(ref: SessionRef): Promise<{ wentOffline: boolean; leftRooms: string[] }> {
    const session = this.sessions.get(ref.sessionId);
    if (!session) return { wentOffline: false, leftRooms: [] };
    const leftRooms: string[] = [];
    for (const room of session.rooms) if ((await this.leaveRoom(ref, room)).lastInRoom) leftRooms.push(room);
    this.sessions.delete(ref.sessionId);
    const ids = this.byUser.get(this.userKey(ref.tenant, ref.user));
    ids?.delete(ref.sessionId);
    const wentOffline = !ids || ids.size === 0;
    if (ids && ids.size === 0) this.byUser.delete(this.userKey(ref.tenant, ref.user));
    return { wentOffline, leftRooms };
  }

  async setStatus(ref: SessionRef, status: "online" | "away"): Promise<{ before: PresenceStatus; after: PresenceStatus }> {
    const before = this.statusOf(ref.tenant, ref.user);
    const session = this.sessions.get(ref.sessionId);
    if (session) session.status = status;
    return { before, after: this.statusOf(ref.tenant, ref.user) };
  }

  async statuses(tenant: string, users: string[]): Promise<Record<string, PresenceStatus>> {
    return Object.fromEntries(users.map((u) => [u, this.statusOf(tenant, u)]));
  }

  async joinRoom(ref: SessionRef, room: string): Promise<{ firstInRoom: boolean }> {
    const session = this.sessions.get(ref.sessionId);
    if (!session || session.rooms.has(room)) return { firstInRoom: false };
    session.rooms.add(room);
    const key = this.roomKey(ref.tenant, room);
    const counts = this.rooms.get(key) ?? new Map<string, number>();
    this.rooms.set(key, counts);
    const n = (counts.get(ref.user) ?? 0) + 1;
    counts.set(ref.user, n);
    return { firstInRoom: n === 1 };
  }

  async leaveRoom(ref: SessionRef, room: string): Promise<{ lastInRoom: boolean }> {
    const session = this.sessions.get(ref.sessionId);
    if (!session?.rooms.delete(room)) return { lastInRoom: false };
    const counts = this.rooms.get(this.roomKey(ref.tenant, room));
    const n = (counts?.get(ref.user) ?? 1) - 1;
    if (n <= 0) counts?.delete(ref.user);
    else counts?.set(ref.user, n);
    return { lastInRoom: n <= 0 };
  }

  async roomMembers(tenant: string, room: string): Promise<string[]> {
    return [...(this.rooms.get(this.roomKey(tenant, room))?.keys() ?? [])].sort();
  }

  async roomMemberCount(tenant: string, room: string): Promise<number> {
    return this.rooms.get(this.roomKey(tenant, room))?.size ?? 0;
  }

  async heartbeat(node: string): Promise<{ wasMissing: boolean; reaping: boolean }> {
    const wasMissing = !this.beats.has(node);
    this.beats.set(node, Date.now());
    const mark = this.reapMarks.get(node);
    const reaping = mark !== undefined && mark > Date.now();
    if (mark !== undefined && !reaping) this.reapMarks.delete(node); // its reaper stopped
    return { wasMissing, reaping };
  }

  async isNodeAlive(node: string): Promise<boolean> {
    return (this.beats.get(node) ?? 0) >= Date.now() - this.nodeTtlMs;
  }

  async reapDeadNodes(self?: string): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>> {
    const cutoff = Date.now() - this.nodeTtlMs;
    const dead = [...this.beats].filter(([node, at]) => node !== self && at < cutoff).map(([node]) => node);
    const out: Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }> = [];
    for (const node of dead) {
      const beat = this.beats.get(node);
      if (beat === undefined || beat >= cutoff) continue; // another caller reaps it, or it beat since
      this.beats.delete(node);
      this.reapMarks.set(node, Date.now() + REAP_MARK_MS);
      try {
        for (const s of [...this.sessions.values()].filter((x) => x.node === node)) {
          // registered again (by the node, alive after all) while this reap ran: it stays
          if (this.sessions.get(s.ref.sessionId) !== s) continue;
          out.push({ tenant: s.ref.tenant, user: s.ref.user, ...(await this.disconnect(s.ref)) });
        }
      } finally {
        this.reapMarks.delete(node);
      }
    }
    return out;
  }

  async reapStaleSessions(node: string, isLive: (sessionId: string) => boolean): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>> {
    const out: Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }> = [];
    for (const s of [...this.sessions.values()].filter((x) => x.node === node && !isLive(x.ref.sessionId))) {
      out.push({ tenant: s.ref.tenant, user: s.ref.user, ...(await this.disconnect(s.ref)) });
    }
    return out;
  }
}
