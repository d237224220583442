import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request a receiver got. */
export interface Received {
  /** Date.now() when the body had arrived. */
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** How a receiver answers a request: a status, after an optional delay. */
export type Behaviour = (req: { body: string; headers: IncomingHttpHeaders }) => { status: number; delayMs?: number };

/**
 * A real HTTP webhook receiver on loopback (node:http): records every request and answers as `behaviour`
 * says. `kill()` closes it, connections included, so attempts are refused; `revive()` listens again on
 * the same port.
 */
export async function startReceiver(behaviour: Behaviour = () => ({ status: 200 })) {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let answer = behaviour;
  const make = (): Server => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const { status, delayMs } = answer({ body, headers: req.headers });
        const reply = () => {
          received.push({ at: Date.now(), headers: req.headers, body, status });
          res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
        };
        if (delayMs) setTimeout(reply, delayMs);
        else reply();
      });
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    return server;
  };
  const listen = (server: Server, port: number) => new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  let server = make();
  const port = await listen(server, 0);
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    setBehaviour(b: Behaviour) {
      answer = b;
    },
    kill: close,
    async revive() {
      server = make();
      await listen(server, port);
    },
    close,
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
