/**
 * A loopback TCP proxy the chaos command controls: it forwards connections to `targetPort` until
 * `cut()`, which makes it a black hole (a network partition between one process and one service):
 * bytes on open connections are no longer forwarded and new connections are accepted but never reach
 * the target, so the client sees silence, not a reset, as with a real partition. `heal()` forwards
 * again (the connections held meanwhile are closed; the client reconnects).
 */
import net from "node:net";

export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  close(): void;
}

export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  let cut = false;
  const server = net.createServer((client) => {
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    pairs.add(pair);
    const done = (): void => {
      client.destroy();
      pair.upstream?.destroy();
      pairs.delete(pair);
    };
    client.on("error", done).on("close", done);
    if (cut) return void client.pause(); // held in silence until healed
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    pair.upstream = upstream;
    upstream.on("error", done).on("close", done);
    client.on("data", (d: Buffer) => void (cut || upstream.write(d)));
    upstream.on("data", (d: Buffer) => void (cut || client.write(d)));
  });
  const dropAll = (): void => {
    for (const p of [...pairs]) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    pairs.clear();
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (!address || typeof address !== "object") return reject(new Error("proxy: no port"));
      resolve({
        port: address.port,
        cut: () => void (cut = true),
        heal() {
          cut = false;
          dropAll();
        },
        close() {
          cut = true;
          dropAll();
          server.close();
        },
      });
    });
  });
}
