import type { RedisClient } from "../core/redis-client";
import type { MediaOptions } from "../core/config";
import { newEvent, publishEvents } from "../core/contracts/streams";
import { stableUuid } from "../core/stable-id";
import type { RecordingOptions } from "../core/recording-config";
import type { Stores } from "../api/deps";
import { sweepRecordings } from "../db/recordings/retention";
import { MediaNode } from "../media/media-node";
import { recorderDefaults } from "../media/recorder-process";
import { MemoryClassStateStore } from "../media/state/class-state-store-memory";
import { RedisClassStateStore } from "../media/state/class-state-store-redis";
import type { RealtimeServices } from "../realtime/services";
import type { RealtimeNode } from "../realtime/create-realtime-node";
import { NODE_TTL_MS } from "../realtime/node-liveness";
import { registerClassNamespace } from "../realtime/classes/class-namespace";
import type { MediaDirectory } from "../realtime/classes/media-directory";
import { MemoryMediaDirectory } from "../realtime/classes/media-directory-memory";
import { RedisMediaDirectory } from "../realtime/classes/media-directory-redis";
import type { MediaRpc } from "../realtime/classes/media-rpc";
import { MemoryMediaRpc } from "../realtime/classes/media-rpc-memory";
import { RedisMediaRpc } from "../realtime/classes/media-rpc-redis";
import { namespaceOutbox } from "../realtime/classes/namespace-outbox";
import { MediaWatch, mediaWatchDefaults } from "../realtime/classes/media-watch";

export interface ClassTier {
  /** Set when this node hosts classes (media enabled). */
  media?: MediaNode;
  close(): Promise<void>;
}

/**
 * Live classes on a realtime node: the `/class` signaling namespace always, and, when `media.enabled`,
 * a MediaNode (mediasoup workers) registered in the MediaDirectory and serving forwarded requests.
 */
export async function startClassTier(
  { io, heartbeat }: Pick<RealtimeNode, "io" | "heartbeat">,
  services: RealtimeServices,
  options: { media: MediaOptions; keyPrefix: string; redis?: RedisClient; recording: RecordingOptions; recordingStores: Pick<Stores, "recordings" | "recordingFiles"> },
): Promise<ClassTier> {
  const rpc: MediaRpc = options.redis ? new RedisMediaRpc(options.redis, options.keyPrefix, services.log) : new MemoryMediaRpc(services.log);
  const directory: MediaDirectory = options.redis ? new RedisMediaDirectory(options.redis, options.keyPrefix) : new MemoryMediaDirectory();
  // a media node hosting this node's sockets' classes that stops serving is noticed within ~2 s (not NODE_TTL_MS)
  const watch = new MediaWatch(rpc, directory, mediaWatchDefaults, services.log);
  const nsp = registerClassNamespace(io, services, { rpc, directory, timeoutMs: options.media.signalingTimeoutMs, watch });
  if (!options.media.enabled)
    return {
      close: async () => {
        watch.stop();
        await rpc.close();
      },
    };

  const recording = options.recording;
  const { recordings: store, recordingFiles: storage } = options.recordingStores;
  // retention: the schools that recorded on this node are swept at each recording start and every sweepIntervalMs
  const recordedTenants = new Set<string>();
  const sweep = (tenant: string) =>
    void sweepRecordings(store, storage, tenant).catch((err: unknown) => services.log.error({ err, tenant }, "recording: retention sweep failed"));
  const sweeper = setInterval(() => recordedTenants.forEach(sweep), recording.sweepIntervalMs);
  sweeper.unref();
  const media = await MediaNode.start({
    options: options.media,
    outbox: namespaceOutbox(nsp),
    bus: services.bus,
    log: services.log,
    // in a cluster the classes' state is in Redis: a class moved off a dead media node resumes with it
    state: options.redis ? new RedisClassStateStore(options.redis, options.keyPrefix) : new MemoryClassStateStore(),
    lifecycle: async (tenant, classId, kind, at) => {
      // on the bus for webhooks (`classes` stream); the id follows from the fact, so a repeat is delivered once
      const event = { ...newEvent(`class.${kind}` as const, tenant, { classId }, stableUuid(`${tenant}:${classId}:${kind}:${at.toISOString()}`)), at: at.toISOString() };
      await publishEvents(services.bus, "classes", [event]).catch((err: unknown) => services.log.error({ err, tenant, classId, kind }, "class: lifecycle event not published"));
      await services.stores.classes.markLifecycle(tenant, classId, kind, at);
    },
    recording: {
      store,
      storage,
      workDir: recording.workDir,
      limits: { ...recorderDefaults, ffmpegBin: recording.ffmpegBin, ffprobeBin: recording.ffprobeBin },
      log: services.log,
      maxConcurrent: recording.maxConcurrent,
      onStart: (tenant) => {
        recordedTenants.add(tenant);
        sweep(tenant);
      },
    },
  });
  const stopServing = await rpc.serve(services.nodeId, (request) => media.handle(request));
  // registered like the node's presence: lapses NODE_TTL_MS after the node's last beat (node-liveness.ts)
  await directory.register(services.nodeId, NODE_TTL_MS);
  const stopRegistering = heartbeat.add("media registration", () => directory.register(services.nodeId, NODE_TTL_MS), { liveness: true });
  // participants whose realtime node died (no peer:gone ever comes) leave: attendance closed within
  // NODE_TTL_MS + one beat, by the presence store's liveness, which also reaps their presence
  const stopReaping = heartbeat.add("class peer reaper", async () => {
    const left = await media.reapDeadPeers((node) => services.presence.isNodeAlive(node));
    if (left > 0) services.log.info({ left }, `classes: ${left} connection(s) of dead realtime nodes left their classes`);
  });
  return {
    media,
    close: async () => {
      watch.stop();
      stopRegistering();
      clearInterval(sweeper);
      stopReaping();
      await directory.unregister(services.nodeId).catch(() => undefined);
      await stopServing();
      await media.close();
      await rpc.close();
    },
  };
}
