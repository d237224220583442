/**
 * The stock baseline for socket benchmarks: Socket.IO 4.8 with no auth, no handlers, no adapter, on
 * Node http + ws (ENGINE=ws) or uWebSockets.js (ENGINE=uws). Env: PORT, ENGINE, and FANOUT_ROOM: every
 * connection joins that room except publishers (CONNECT auth `{"pub":1}`), whose `pub` events are
 * broadcast to it as `m` (the stock fan-out path: `io.to(room).emit`).
 */
import { createServer } from "node:http";
import uWS from "uWebSockets.js";
import { Server } from "socket.io";

const port = Number(process.env.PORT);
const room = process.env.FANOUT_ROOM;
const io = new Server({ serveClient: false });
if (room) {
  io.on("connection", (socket) => {
    if ((socket.handshake.auth as { pub?: number }).pub) socket.on("pub", (data: unknown) => void io.to(room).emit("m", data));
    else void socket.join(room);
  });
}
if (process.env.ENGINE === "uws") {
  const app = uWS.App();
  io.attachApp(app);
  app.get("/health/ready", (res) => void res.end("ok"));
  app.listen("127.0.0.1", port, () => console.log("ready"));
} else {
  const http = createServer((req, res) => res.end("ok"));
  io.attach(http);
  http.listen(port, "127.0.0.1", () => console.log("ready"));
}
