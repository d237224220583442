import { connect, type Socket } from "node:net";

/**
 * Byte-level HTTP/1.1 and WebSocket clients for tests that must see exactly what a server writes on the
 * wire (headers such as `Connection`, whether and when it closes the connection), which fetch and
 * socket.io-client hide.
 */

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One TCP connection to a server, reading HTTP/1.1 responses (Content-Length bodies) in order. */
export class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** True once the server closed (FIN) or the connection broke. */
  get closed(): boolean {
    return this.ended;
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends a request head (and body) built from a method, path and header lines. */
  request(method: string, path: string, headers: Record<string, string> = {}, body = ""): void {
    const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    this.send(`${lines.join("\r\n")}\r\n\r\n${body}`);
  }

  /** The next complete response; rejects if the server closes first or nothing comes within `timeoutMs`. */
  async response(timeoutMs = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.ended) throw new Error(`connection closed without a (complete) response; received ${JSON.stringify(this.buffer.toString())}`);
      if (!(await this.wait(deadline - Date.now()))) throw new Error(`no response within ${timeoutMs} ms; received ${JSON.stringify(this.buffer.toString())}`);
    }
  }

  /** Resolves true when the server closes within `timeoutMs`, false if the connection is still open then. */
  async closes(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) if (!(await this.wait(deadline - Date.now()))) return false;
    return true;
  }

  /** Bytes received and not consumed as a response (e.g. after a 101). */
  take(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  /** Waits for more input; false on timeout. */
  wait(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private parse(): RawResponse | undefined {
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const [statusLine = "", ...lines] = this.buffer.subarray(0, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    const status = Number(statusLine.split(" ")[1]);
    const length = status === 101 || status === 204 || status === 304 ? 0 : Number(headers["content-length"] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }
}

/** A WebSocket frame as received: opcode (1 text, 8 close, 9 ping, 10 pong) and payload. */
export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Encodes one masked client frame (FIN set). */
export function clientFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const head = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.from(data.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([head, mask, masked]);
}

/** Splits unmasked server frames off the front of `buffer`; returns them and the unconsumed rest. */
export function serverFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length < at + 2) break;
    const opcode = (buffer[at] as number) & 0x0f;
    let length = (buffer[at + 1] as number) & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buffer.length < offset + 2) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (buffer.length < offset + 8) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    if (buffer.length < offset + length) break;
    frames.push({ opcode, payload: buffer.subarray(offset, offset + length) });
    at = offset + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** A WebSocket upgrade request for `path` (a fixed key: tests do not check the accept hash). */
export function upgradeRequest(connection: RawConnection, path: string): void {
  connection.request("GET", path, {
    Connection: "Upgrade",
    Upgrade: "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  });
}

/**
 * A Socket.IO client over a handcrafted WebSocket that answers Engine.IO pings but never answers a close
 * frame (like a client whose network went away, or python-socketio in some versions): the server has to
 * give up on the close handshake by itself.
 */
export class StubbornSocketIoClient {
  readonly frames: Frame[] = [];
  private rest: Buffer = Buffer.alloc(0);

  private constructor(private readonly connection: RawConnection) {}

  static async connect(port: number, token: string): Promise<StubbornSocketIoClient> {
    const connection = await RawConnection.open(port);
    upgradeRequest(connection, "/socket.io/?EIO=4&transport=websocket");
    const head = await connection.response();
    if (head.status !== 101) throw new Error(`upgrade refused: ${head.status} ${head.body}`);
    const client = new StubbornSocketIoClient(connection);
    client.absorb(connection.take());
    connection.socket.on("data", () => client.absorb(connection.take()));
    await client.until((f) => f.payload.toString().startsWith("0{"), "Engine.IO open");
    connection.send(clientFrame(1, `40${JSON.stringify({ token })}`));
    await client.until((f) => f.payload.toString().startsWith("40{"), "Socket.IO connect");
    return client;
  }

  /** Resolves when a frame matching `match` has arrived. */
  async until(match: (frame: Frame) => boolean, what: string, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.connection.closed) throw new Error(`connection closed before ${what}`);
      if (!(await this.connection.wait(deadline - Date.now()))) throw new Error(`no ${what} within ${timeoutMs} ms`);
    }
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  destroy(): void {
    this.connection.destroy();
  }

  private absorb(chunk: Buffer): void {
    const { frames, rest } = serverFrames(Buffer.concat([this.rest, chunk]));
    this.rest = rest;
    for (const frame of frames) {
      this.frames.push(frame);
      if (frame.opcode === 1 && frame.payload.toString() === "2") this.connection.send(clientFrame(1, "3")); // Engine.IO pong
      // a close frame (8) is deliberately left unanswered
    }
  }
}
