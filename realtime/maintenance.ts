import { ErrorCode } from "../core/errors";
import { announceLeft, announcePresence } from "./handlers/presence";
import { HEARTBEAT_MS, LEASE_RENEW_BEATS, ReapGate, type HeartbeatDuty } from "./node-liveness";
import type { RealtimeServices } from "./services";
import { bufferedBytes, namespacesOf } from "./socketio-internals";
import type { RealtimeServer, RealtimeSocket } from "./types";
import { socketRooms } from "../core/tenant-keys";


const roomPrefix = (tenant: string): string => socketRooms.room(tenant, "");

/**
 * Announces the room leaves and offlines of reaped sessions, all sessions at once (each user's leaves, then its
 * offline). Each leave reads its room's member count, a Redis round trip: read one after another, a killed node's
 * 3,358 sessions took 24.5 s on a loaded survivor (chaos run of 2026-12-01 18:06), while the rooms still listed the
 * dead node's users and the upkeep's later duties (lease renewals, sessions to register again) waited behind it.
 * Together, the reads share the Redis windows. A failed announcement does not stop the others; the first failure is
 * thrown once all are done.
 */
export async function announceGone(io: RealtimeServer, services: RealtimeServices, reaped: Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>): Promise<void> {
  const results = await Promise.allSettled(
    reaped.map(async (gone) => {
      await Promise.all(gone.leftRooms.map((room) => announceLeft(io, services, gone.tenant, room, gone.user)));
      if (gone.wentOffline) announcePresence(io, gone.tenant, gone.user, "offline");
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Lost sessions registered again at once: their Redis writes share the connect path's windows (one pipeline per window). */
const REREGISTER_AT_ONCE = 500;

/** Registers one flagged socket's session again, with its rooms (see registerLostPresence). */
async function registerOne(io: RealtimeServer, services: RealtimeServices, s: RealtimeSocket): Promise<void> {
  try {
    const { cameOnline } = await services.presence.connect(s.data.session, services.nodeId);
    const prefix = roomPrefix(s.data.principal.tenant);
    for (const r of s.rooms) if (r.startsWith(prefix)) await services.presence.joinRoom(s.data.session, r.slice(prefix.length));
    s.data.presenceLost = false;
    if (s.disconnected) await services.presence.disconnect(s.data.session);
    else if (cameOnline) announcePresence(io, s.data.principal.tenant, s.data.principal.user, "online");
  } catch (err) {
    services.log.warn({ err: err instanceof Error ? err.message : String(err), socket: s.id }, "presence: registering a session again failed; retried on the next beat");
  }
}

/**
 * Registers again the presence sessions of sockets flagged `presenceLost` (their connect write failed, or
 * the node had been reaped), with their rooms; one that fails stays flagged for the next beat, so a
 * failure midway never leaves the rest of the node's users reading offline. A socket that disconnected
 * meanwhile is removed again (its own disconnect may have run before this registration). Up to
 * REREGISTER_AT_ONCE sessions are registered concurrently, so their writes go to Redis batched per window
 * (15,000 sessions take a few dozen round trips, not 15,000 one after another — which outlasted the node
 * TTL).
 */
async function registerLostPresence(io: RealtimeServer, services: RealtimeServices, sockets: RealtimeSocket[]): Promise<void> {
  const lost = sockets.filter((s) => s.data.presenceLost && !s.disconnected);
  for (let i = 0; i < lost.length; i += REREGISTER_AT_ONCE) {
    await Promise.all(lost.slice(i, i + REREGISTER_AT_ONCE).map((s) => registerOne(io, services, s)));
  }
}

/** The realtime node's heartbeat duties (realtime/node-liveness.ts): `liveness` first on every beat, `upkeep` when its last run has ended. */
export interface MaintenanceDuties {
  /** The presence heartbeat (`beatOk` once it reached the store); a node found missing (reaped) marks every socket's presence lost. */
  liveness: HeartbeatDuty;
  /**
   * In order: disconnecting slow consumers with 5003 (in the same pass that notes the sockets whose
   * presence was lost); on the first run, removing the sessions a previous process with this node id left;
   * reaping dead nodes (announcing who went offline and left which room) once the store has taken this node's
   * beats for a node TTL without a gap (ReapGate); re-registering the lost sessions
   * noted; renewing its connection count of each tenant (every LEASE_RENEW_BEATS beats, of every namespace,
   * and after it was found missing).
   */
  upkeep: HeartbeatDuty;
}

export function maintenanceDuties(io: RealtimeServer, services: RealtimeServices, beatOk: () => void = () => undefined): MaintenanceDuties {
  const reapGate = new ReapGate();
  let predecessorReaped = false;
  let renewNow = false;
  let beingReaped = false;
  return {
    liveness: async () => {
      const sentAt = Date.now();
      const { wasMissing, reaping } = await services.presence.heartbeat(services.nodeId);
      beatOk();
      const landedBefore = reapGate.beat();
      beingReaped = reaping;
      const tookMs = Date.now() - sentAt;
      if (tookMs > HEARTBEAT_MS) services.log.warn({ tookMs }, "presence: the liveness beat took longer than a beat period");
      if (!wasMissing) return;
      // its first beat, or taken for dead (reaped) though alive: every session is registered again
      if (landedBefore) services.log.warn({ sockets: io.of("/").sockets.size, reaping }, "presence: this node was missing from the node set (reaped as dead); registering its sessions again");
      for (const s of io.of("/").sockets.values()) s.data.presenceLost = true;
      renewNow = true;
    },
    upkeep: async (beat) => {
      // one pass over the node's sockets, in place (a copy and three passes per beat were about a third of an
      // idle node's JavaScript samples at 15,000 sockets): slow consumers out, sockets whose presence was lost noted
      const lost: RealtimeSocket[] = [];
      for (const s of io.of("/").sockets.values()) {
        if (bufferedBytes(s) > services.options.maxSocketBufferBytes) {
          services.metrics.slowConsumers.inc();
          s.emit("app:disconnect", { code: ErrorCode.SlowConsumer, message: "send buffer over its bound: reconnect and recover" });
          s.disconnect(true); // removes it from the map being walked: a Map's iteration goes on past a deleted entry
        } else if (s.data.presenceLost) lost.push(s);
      }
      if (!predecessorReaped) {
        // a previous process with this node id (killed, restarted before it was reaped) left sessions behind
        const root = io.of("/").sockets;
        try {
          await announceGone(io, services, await services.presence.reapStaleSessions(services.nodeId, (id) => root.has(id)));
          predecessorReaped = true;
        } catch (err) {
          services.log.warn({ err: err instanceof Error ? err.message : String(err) }, "presence: removing a previous process's sessions failed; retried on the next beat");
        }
      }
      // dead nodes first: their users read online until reaped, and the work below can take seconds on a loaded node;
      // never itself (its beat may have outlasted the TTL), and none while the store has not heard this node's beats
      // for a full TTL (after a failover, the others' beats are late only because of the store: ReapGate)
      if (reapGate.open) {
        const startedAt = Date.now();
        const reaped = await services.presence.reapDeadNodes(services.nodeId);
        const reapedAt = Date.now();
        try {
          await announceGone(io, services, reaped);
        } finally {
          // how long the dead node's users read online past the reap's start, and the announcements after it
          if (reaped.length > 0) services.log.warn({ sessions: reaped.length, reapMs: reapedAt - startedAt, announceMs: Date.now() - reapedAt }, "presence: reaped the sessions of nodes whose beats lapsed");
        }
      }
      // reaped though alive: register again once the reap is over (what it would remove behind us)
      if (!beingReaped) await registerLostPresence(io, services, lost);
      if (beat % LEASE_RENEW_BEATS === 0 || renewNow) {
        renewNow = false;
        // every namespace's sockets count (`/class` ones too: realtime/classes/class-namespace.ts); one count
        // per tenant, one store call per tenant whatever its sockets
        const byTenant = new Map<string, number>();
        for (const nsp of namespacesOf(io)) for (const s of nsp.sockets.values()) byTenant.set(s.data.principal.tenant, (byTenant.get(s.data.principal.tenant) ?? 0) + 1);
        for (const [tenant, connected] of byTenant) await services.quotas.renewConnections(tenant, connected);
      }
    },
  };
}

