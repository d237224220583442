import { AppError, ErrorCode } from "../../core/errors";
import type { MediaRequest } from "../../core/class-signaling";
import { defaultLogger, type Logger } from "../../core/log";
import type { MediaRpc } from "./media-rpc";
import { runToReply, unwrapReply } from "./media-rpc-reply";

/** In-process MediaRpc (the embedded default and unit tests); requests and replies are cloned as on the wire. */
export class MemoryMediaRpc implements MediaRpc {
  private readonly handlers = new Map<string, (request: MediaRequest) => Promise<unknown>>();

  constructor(private readonly log: Logger = defaultLogger()) {}

  async serve(nodeId: string, handler: (request: MediaRequest) => Promise<unknown>): Promise<() => Promise<void>> {
    this.handlers.set(nodeId, handler);
    return async () => {
      if (this.handlers.get(nodeId) === handler) this.handlers.delete(nodeId);
    };
  }

  async call(nodeId: string, request: MediaRequest, timeoutMs: number): Promise<unknown> {
    const handler = this.handlers.get(nodeId);
    if (!handler) throw new AppError(ErrorCode.MediaUnavailable, `media node ${nodeId} is not serving`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError(ErrorCode.Timeout, "the media node did not answer in time")), timeoutMs);
    });
    try {
      const reply = await Promise.race([runToReply(() => handler(structuredClone(request)), this.log, request), timeout]);
      return unwrapReply(structuredClone(reply));
    } finally {
      clearTimeout(timer);
    }
  }

  async serving(nodeId: string): Promise<boolean> {
    return this.handlers.has(nodeId);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
