import type { Redis } from "ioredis";
import type { MediaOptions } from "../core/config";
import { MediaNode } from "../media/media-node";
import type { RealtimeServices } from "../realtime/services";
import type { RealtimeServer } from "../realtime/types";
import { registerClassNamespace } from "../realtime/classes/class-namespace";
import type { MediaDirectory } from "../realtime/classes/media-directory";
import { MemoryMediaDirectory } from "../realtime/classes/media-directory-memory";
import { RedisMediaDirectory } from "../realtime/classes/media-directory-redis";
import type { MediaRpc } from "../realtime/classes/media-rpc";
import { MemoryMediaRpc } from "../realtime/classes/media-rpc-memory";
import { RedisMediaRpc } from "../realtime/classes/media-rpc-redis";
import { namespaceOutbox } from "../realtime/classes/namespace-outbox";

const HEARTBEAT_MS = 2_000;
const REGISTRATION_TTL_MS = 6_000;

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
  io: RealtimeServer,
  services: RealtimeServices,
  options: { media: MediaOptions; keyPrefix: string; redis?: Redis },
): Promise<ClassTier> {
  const rpc: MediaRpc = options.redis ? new RedisMediaRpc(options.redis, options.keyPrefix) : new MemoryMediaRpc();
  const directory: MediaDirectory = options.redis ? new RedisMediaDirectory(options.redis, options.keyPrefix) : new MemoryMediaDirectory();
  const nsp = registerClassNamespace(io, services, { rpc, directory, timeoutMs: options.media.signalingTimeoutMs });
  if (!options.media.enabled) return { close: () => rpc.close() };

  const media = await MediaNode.start({
    options: options.media,
    outbox: namespaceOutbox(nsp),
    bus: services.bus,
    lifecycle: (tenant, classId, kind, at) => services.stores.classes.markLifecycle(tenant, classId, kind, at),
  });
  const stopServing = await rpc.serve(services.nodeId, (request) => media.handle(request));
  const register = (): Promise<void> => directory.register(services.nodeId, REGISTRATION_TTL_MS);
  await register();
  const heartbeat = setInterval(() => void register().catch((err: unknown) => console.error("[media] heartbeat failed:", err)), HEARTBEAT_MS);
  return {
    media,
    close: async () => {
      clearInterval(heartbeat);
      await directory.unregister(services.nodeId).catch(() => undefined);
      await stopServing();
      await media.close();
      await rpc.close();
    },
  };
}
