import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { skipMiddlewaresOnUpgrades } from "../../realtime/socketio-internals";
import type { RealtimeServer } from "../../realtime/types";

/**
 * Node's http server hands every request carrying an `Upgrade` header to its 'upgrade' listeners, and
 * engine.io's listener takes WebSocket upgrades of its own path only: anything else (`Upgrade: h2c`
 * from Java's HttpClient or `curl --http2`, a WebSocket upgrade to an API path) would wait for
 * engine.io's `destroyUpgradeTimeout` and be dropped. Upgrades are optional for the server (RFC 9110
 * §7.8), so such a request is answered as the plain HTTP/1.1 request it also is.
 */

/** Header names and `Connection` tokens that only ask for the upgrade. */
const UPGRADE_ONLY = new Set(["upgrade", "http2-settings"]);

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

/** The request head as received, minus what asks for the upgrade. */
function headWithoutUpgrade(req: IncomingMessage): Buffer {
  const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (UPGRADE_ONLY.has(lower)) continue;
    if (lower === "connection") {
      const kept = value
        .split(",")
        .map((token) => token.trim())
        .filter((token) => token && !UPGRADE_ONLY.has(token.toLowerCase()));
      if (kept.length > 0) lines.push(`${name}: ${kept.join(", ")}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/**
 * Call after Socket.IO attached to `server` with `destroyUpgrade: false`. WebSocket upgrades under
 * `enginePath` go to engine.io as before; every other upgrade request is parsed again without its
 * upgrade headers by a fresh HTTP parser on the same connection (body and keep-alive included), so the
 * request listeners (engine.io polling, the API) answer it.
 */
export function answerOtherUpgradesAsHttp(server: HttpServer, enginePath: string): void {
  const engineListeners = server.listeners("upgrade") as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isWebSocketUpgrade(req) && (req.url ?? "").startsWith(enginePath)) {
      for (const listener of engineListeners) listener.call(server, req, socket, head);
      return;
    }
    socket.unshift(Buffer.concat([headWithoutUpgrade(req), head]));
    server.emit("connection", socket);
  });
}

/** Attaches Socket.IO to a Node http server (engine "ws"), with other upgrades answered as plain HTTP. */
export function attachSocketIo(io: RealtimeServer, server: HttpServer): void {
  io.attach(server, { destroyUpgrade: false });
  skipMiddlewaresOnUpgrades(io);
  answerOtherUpgradesAsHttp(server, `${io.path().replace(/\/$/, "")}/`);
}
