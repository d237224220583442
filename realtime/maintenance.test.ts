import { Server } from "socket.io";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultLogger } from "../core/log";
import { announceGone, maintenanceDuties } from "./maintenance";
import { HEARTBEAT_MS, NODE_TTL_MS, type HeartbeatDuty } from "./node-liveness";
import { MemoryPresenceStore } from "./presence/presence-store-memory";
import type { RealtimeServices } from "./services";
import type { RealtimeServer, RealtimeSocket } from "./types";

/** One whole beat as the node's heartbeat runs it when nothing is in flight: liveness, then upkeep. */
function maintenanceDuty(io: RealtimeServer, services: RealtimeServices): HeartbeatDuty {
  const { liveness, upkeep } = maintenanceDuties(io, services);
  return async (beat) => {
    await liveness(beat);
    await upkeep(beat);
  };
}

describe("maintenanceDuty: presence left by a previous process with the same node id", () => {
  /** A Socket.IO server never attached to a port: its namespaces and rooms, no listener, nothing to close. */
  const node = (): RealtimeServer => new Server();

  it("a node restarted before the reaper ran removes its predecessor's sessions on its first beat", async () => {
    const presence = new MemoryPresenceStore(10_000);
    // the killed process: a session registered under realtime-1, its heartbeat still fresh
    await presence.heartbeat("realtime-1");
    await presence.connect({ tenant: "school", user: "ghost", sessionId: "old-socket" }, "realtime-1");
    await presence.joinRoom({ tenant: "school", user: "ghost", sessionId: "old-socket" }, "r");
    // another user on another node, untouched
    await presence.heartbeat("realtime-2");
    await presence.connect({ tenant: "school", user: "ann", sessionId: "ann-socket" }, "realtime-2");

    const io = node();
    const services = {
      nodeId: "realtime-1",
      presence,
      log: defaultLogger(),
      options: { maxSocketBufferBytes: 1 << 20 },
      quotas: { renewConnections: async () => undefined },
    } as unknown as RealtimeServices;
    const duty = maintenanceDuty(io, services);
    await duty(1);
    expect(await presence.statuses("school", ["ghost", "ann"])).toEqual({ ghost: "offline", ann: "online" });
    expect(await presence.roomMembers("school", "r")).toEqual([]);
  });
});

describe("maintenanceDuty: re-registering a node's sessions", () => {
  const TTL_MS = 100;
  /** A memory presence store whose session writes take `delayMs` (a Redis under a connect storm), counting those in flight. */
  class SlowPresence extends MemoryPresenceStore {
    inFlight = 0;
    maxInFlight = 0;
    connects = 0;
    constructor(private readonly delayMs: number) {
      super(TTL_MS);
    }
    override async connect(...args: Parameters<MemoryPresenceStore["connect"]>): ReturnType<MemoryPresenceStore["connect"]> {
      this.connects++;
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      await new Promise((r) => setTimeout(r, this.delayMs));
      this.inFlight--;
      return super.connect(...args);
    }
  }

  /** A node holding `n` connected sockets (plain objects in its root namespace: the duty reads only these fields). */
  function nodeWith(n: number): { io: RealtimeServer; users: string[] } {
    const io: RealtimeServer = new Server();
    const users = Array.from({ length: n }, (_, i) => `u${i}`);
    for (const user of users) {
      const id = `socket-${user}`;
      const fake = { id, data: { presenceLost: false, session: { tenant: "school", user, sessionId: id }, principal: { tenant: "school", user } }, rooms: new Set([id]), disconnected: false, conn: {} };
      io.of("/").sockets.set(id, fake as unknown as RealtimeSocket);
    }
    return { io, users };
  }

  const servicesOn = (presence: MemoryPresenceStore): RealtimeServices =>
    ({ nodeId: "realtime-1", presence, log: defaultLogger(), options: { maxSocketBufferBytes: 1 << 20 }, quotas: { renewConnections: async () => undefined } }) as unknown as RealtimeServices;

  it("a beat that outlasts the node TTL does not reap its own node (it would find itself missing and re-register everything on every beat)", async () => {
    const presence = new SlowPresence(TTL_MS + 50);
    const { io, users } = nodeWith(3);
    const duty = maintenanceDuty(io, servicesOn(presence));
    await duty(0); // first beat: the node was never seen, so every socket is registered again (slower than the TTL)
    const online = Object.fromEntries(users.map((u) => [u, "online"]));
    expect(await presence.statuses("school", users)).toEqual(online);
    const registered = presence.connects;
    await duty(1);
    expect(presence.connects).toBe(registered); // not missing on the next beat: nothing registered again
    expect(await presence.statuses("school", users)).toEqual(online);
  });

  it("a node reaped though alive registers its sessions again only once the reap is over (it would remove them behind it)", async () => {
    class BeingReaped extends MemoryPresenceStore {
      reaping = true;
      override async heartbeat(node: string): ReturnType<MemoryPresenceStore["heartbeat"]> {
        return { ...(await super.heartbeat(node)), reaping: this.reaping };
      }
    }
    const presence = new BeingReaped(10_000);
    const { io, users } = nodeWith(3);
    const duty = maintenanceDuty(io, servicesOn(presence));
    await duty(0); // missing (never beat) while the store says a reap of it runs: nothing registered yet
    await duty(1);
    expect(Object.values(await presence.statuses("school", users))).toEqual(["offline", "offline", "offline"]);
    presence.reaping = false;
    await duty(2); // the reap is over: its sockets, still flagged lost, are registered
    expect(Object.values(await presence.statuses("school", users))).toEqual(["online", "online", "online"]);
  });

  it("registers lost sessions concurrently, so their writes share the store's windows instead of one round trip each in turn", async () => {
    const presence = new SlowPresence(5);
    const { io, users } = nodeWith(50);
    await maintenanceDuty(io, servicesOn(presence))(0);
    expect(presence.connects).toBe(50);
    expect(presence.maxInFlight).toBe(50);
    expect(await presence.statuses("school", users)).toEqual(Object.fromEntries(users.map((u) => [u, "online"])));
  });
});

describe("maintenanceDuty: the store took nobody's beats for a while (a failover of the shard holding the node set)", () => {
  afterEach(() => void vi.useRealTimers());

  it("does not reap the nodes whose beats the store did not take, and reaps one that stays silent once they had a node TTL", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let now = 1_000_000;
    vi.setSystemTime(now);
    const presence = new MemoryPresenceStore(NODE_TTL_MS);
    const bob = { tenant: "school", user: "bob", sessionId: "bob-socket" };
    const cy = { tenant: "school", user: "cy", sessionId: "cy-socket" };
    await presence.heartbeat("realtime-2");
    await presence.connect(bob, "realtime-2");
    await presence.heartbeat("realtime-3");
    await presence.connect(cy, "realtime-3");
    const services = { nodeId: "realtime-1", presence, log: defaultLogger(), options: { maxSocketBufferBytes: 1 << 20 }, quotas: { renewConnections: async () => undefined } } as unknown as RealtimeServices;
    const duty = maintenanceDuty(new Server(), services);
    await duty(0);
    // the failover: for 10 s no beat of any node lands; then realtime-1's gets through first and it runs its upkeep
    vi.setSystemTime((now += 10_000));
    await duty(1);
    expect(await presence.statuses("school", ["bob", "cy"])).toEqual({ bob: "online", cy: "online" }); // before: both reaped
    // realtime-2 is heard again; realtime-3 (it died during the failover) never is
    for (let beat = 2; now < 1_000_000 + 10_000 + NODE_TTL_MS + HEARTBEAT_MS; beat++) {
      vi.setSystemTime((now += HEARTBEAT_MS));
      await presence.heartbeat("realtime-2");
      await duty(beat);
    }
    expect(await presence.statuses("school", ["bob", "cy"])).toEqual({ bob: "online", cy: "offline" });
  });
});

describe("announceGone: the leaves and offlines of a dead node's reaped sessions", () => {
  it("reads the rooms' member counts all at once, not one session after another (24.5 s for 3,358 sessions on a loaded survivor)", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const presence = {
      roomMemberCount: async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return 2;
      },
    };
    const io = new Server();
    const left: string[] = [];
    const offline: string[] = [];
    io.of("/").adapter.broadcast = (packet: { data: unknown[] }) => {
      const [event, body] = packet.data as [string, { user: string; action?: string; status?: string }];
      if (event === "room:member") left.push(body.user);
      else offline.push(`${event}:${body.user}`);
    };
    const services = { presence, options: { roomPresenceLimit: 100 } } as unknown as RealtimeServices;
    const reaped = Array.from({ length: 300 }, (_, i) => ({ tenant: "school", user: `u${i}`, wentOffline: true, leftRooms: [`r${i % 15}`, "lobby"] }));
    await announceGone(io, services, reaped);
    expect(left).toHaveLength(600); // every leave announced
    expect(offline).toHaveLength(300);
    expect(maxInFlight).toBe(600); // before: 1 (600 reads of 5 ms, one after another: 3 s and more)
  });

  it("announces the others when one room's read fails, then reports the failure", async () => {
    const presence = { roomMemberCount: async (_t: string, room: string) => (room === "bad" ? Promise.reject(new Error("redis down")) : 2) };
    const io = new Server();
    const left: string[] = [];
    io.of("/").adapter.broadcast = (packet: { data: unknown[] }) => {
      const [event, body] = packet.data as [string, { user: string }];
      if (event === "room:member") left.push(body.user);
    };
    const services = { presence, options: { roomPresenceLimit: 100 } } as unknown as RealtimeServices;
    const reaped = [
      { tenant: "school", user: "a", wentOffline: true, leftRooms: ["bad"] },
      { tenant: "school", user: "b", wentOffline: true, leftRooms: ["ok"] },
    ];
    await expect(announceGone(io, services, reaped)).rejects.toThrow("redis down");
    expect(left).toEqual(["b"]);
  });
});
