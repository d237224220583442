import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "../../core/events";

export type TestClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A stock socket.io-client connected with `auth: { token }` (rejects with the connect_error). */
export function connectClient(url: string, token: unknown, transports: Array<"websocket" | "polling"> = ["websocket"]): Promise<TestClient> {
  const socket: TestClient = io(url, { auth: { token }, transports, reconnection: false, forceNew: true, timeout: 5_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits an event with any payload and waits for its ack (untyped on purpose: tests send bad input). */
export function emitWithAck(socket: TestClient, event: string, ...args: unknown[]): Promise<unknown> {
  return (socket as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } })
    .timeout(10_000)
    .emitWithAck(event, ...args);
}

/** Resolves with the next `event` the socket receives. */
export function nextEvent<T>(socket: TestClient, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as { once(e: string, fn: (v: T) => void): void }).once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Records every `event` a socket receives. */
export function recordEvents<T>(socket: TestClient, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as { on(e: string, fn: (v: T) => void): void }).on(event, (value: T) => seen.push(value));
  return seen;
}

/** Polls `probe` until it returns a value accepted by `done`, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}
