import type { MediaRequest } from "../../core/class-signaling";

/**
 * Request/response from a realtime node to the media node hosting a class.
 *
 * At most once: a call runs on the served node once or not at all; a call that times out (5002) may
 * have run. A call to a node that nobody serves fails at once with 5004. Handler errors reach the
 * caller as AppErrors with the same code; anything else becomes 5000.
 */
export interface MediaRpc {
  /** Serves requests addressed to `nodeId` until the returned stop is called. */
  serve(nodeId: string, handler: (request: MediaRequest) => Promise<unknown>): Promise<() => Promise<void>>;
  call(nodeId: string, request: MediaRequest, timeoutMs: number): Promise<unknown>;
  /**
   * Whether some process serves `nodeId` right now (no request runs). A killed media node stops serving at
   * once (its connection to the transport closes), before its directory registration lapses.
   */
  serving(nodeId: string): Promise<boolean>;
  close(): Promise<void>;
}
