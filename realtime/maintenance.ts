import { ErrorCode } from "../core/errors";
import { announceLeft, announcePresence } from "./handlers/presence";
import { LEASE_RENEW_BEATS, type HeartbeatDuty } from "./node-liveness";
import type { RealtimeServices } from "./services";
import { bufferedBytes, namespacesOf } from "./socketio-internals";
import type { RealtimeServer } from "./types";
import { socketRooms } from "../core/tenant-keys";


const roomPrefix = (tenant: string): string => socketRooms.room(tenant, "");

/**
 * The realtime node's duty on each heartbeat (realtime/node-liveness.ts): heartbeat (re-registering its
 * sessions if it had been reaped), renewing its connection count of each tenant (every LEASE_RENEW_BEATS beats,
 * of every namespace; `beatOk` after the heartbeat reached the store), reaping dead nodes (and announcing who went offline and left which room), and disconnecting slow
 * consumers with 5003.
 */
export function maintenanceDuty(io: RealtimeServer, services: RealtimeServices, beatOk: () => void = () => undefined): HeartbeatDuty {
  return async (beat) => {
    const { wasMissing } = await services.presence.heartbeat(services.nodeId);
    beatOk();
    if (wasMissing) {
      for (const s of [...io.of("/").sockets.values()]) {
        await services.presence.connect(s.data.session, services.nodeId);
        const prefix = roomPrefix(s.data.principal.tenant);
        for (const r of s.rooms) if (r.startsWith(prefix)) await services.presence.joinRoom(s.data.session, r.slice(prefix.length));
      }
    }
    if (beat % LEASE_RENEW_BEATS === 0 || wasMissing) {
      // every namespace's sockets count (`/class` ones too: realtime/classes/class-namespace.ts); one count
      // per tenant, one store call per tenant whatever its sockets
      const byTenant = new Map<string, number>();
      for (const nsp of namespacesOf(io)) for (const s of nsp.sockets.values()) byTenant.set(s.data.principal.tenant, (byTenant.get(s.data.principal.tenant) ?? 0) + 1);
      for (const [tenant, connected] of byTenant) await services.quotas.renewConnections(tenant, connected);
    }
    for (const gone of await services.presence.reapDeadNodes()) {
      for (const room of gone.leftRooms) await announceLeft(io, services, gone.tenant, room, gone.user);
      if (gone.wentOffline) announcePresence(io, gone.tenant, gone.user, "offline");
    }
    // one pass over the live sockets, no copy (a socket disconnected here is deleted behind the iterator: Map iteration allows it)
    for (const s of io.of("/").sockets.values()) {
      if (bufferedBytes(s) <= services.options.maxSocketBufferBytes) continue;
      services.metrics.slowConsumers.inc();
      s.emit("app:disconnect", { code: ErrorCode.SlowConsumer, message: "send buffer over its bound: reconnect and recover" });
      s.disconnect(true);
    }
  };
}
