import { Server } from "socket.io";
import { describe, expect, it } from "vitest";
import { defaultLogger } from "../core/log";
import { maintenanceDuty } from "./maintenance";
import { MemoryPresenceStore } from "./presence/presence-store-memory";
import type { RealtimeServices } from "./services";
import type { RealtimeServer } from "./types";

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
