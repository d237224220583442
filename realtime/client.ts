/**
 * Typed client helper for TypeScript users: the stock socket.io-client with the server's event maps
 * (core/events.ts), and `request` that resolves with the ack or throws `InterlinkedError` with its code.
 *
 *   const client = connectInterlinked("https://rt.school.example", { token });
 *   const { seq } = await client.request("room:message", { room: "math-101", text: "hi" });
 *   client.socket.on("room:message", (m) => render(m));
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { AckOf, ClientToServerEvents, InboundEvent, Payload, ServerToClientEvents } from "../core/events";

export type InterlinkedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A numbered error from the server (docs/PROTOCOL.md). */
export class InterlinkedError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly temporary: boolean,
  ) {
    super(message);
    this.name = "InterlinkedError";
  }
}

export interface InterlinkedClient {
  socket: InterlinkedSocket;
  /** Emits an event and resolves with its ack; a `{ error }` ack rejects with InterlinkedError. */
  request<E extends InboundEvent>(event: E, payload: Payload<E>, timeoutMs?: number): Promise<AckOf[E]>;
  close(): void;
}

export function connectInterlinked(url: string, options: { token: string } & Partial<ManagerOptions & SocketOptions>): InterlinkedClient {
  const { token, ...rest } = options;
  const socket: InterlinkedSocket = io(url, { transports: ["websocket"], ...rest, auth: { token } });
  return {
    socket,
    async request(event, payload, timeoutMs = 10_000) {
      const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> };
      const res = (await emitter.emitWithAck(event, payload)) as { error?: { code: number; message: string; temporary?: boolean } };
      if (res && typeof res === "object" && res.error) throw new InterlinkedError(res.error.code, res.error.message, res.error.temporary === true);
      return res as AckOf[typeof event];
    },
    close: () => socket.close(),
  };
}
