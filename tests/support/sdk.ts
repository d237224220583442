import type { RoomMessageDelivery } from "../../core/events";
import { createClient, type ClientOptions, type InterlinkedClient } from "../../sdk/src/index";

/** SDK clients with a quick reconnect backoff, all closed by `closeAll`. */
export function sdkClients() {
  const open: InterlinkedClient[] = [];
  return {
    client(options: ClientOptions): InterlinkedClient {
      const c = createClient({ minDelayMs: 50, maxDelayMs: 1_000, ...options });
      open.push(c);
      return c;
    },
    closeAll(): void {
      for (const c of open.splice(0)) c.close();
    },
  };
}

/** Records the `room:message` deliveries of a client (all rooms), in the order the listener got them. */
export function recordRoom(c: InterlinkedClient): RoomMessageDelivery[] {
  const seen: RoomMessageDelivery[] = [];
  c.on("room:message", (m) => seen.push(m));
  return seen;
}
