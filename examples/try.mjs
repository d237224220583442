// The README's "Try it", runnable: `node examples/try.mjs` against a running `npm start`
// (INTERLINKED_URL, default http://127.0.0.1:3000). It waits for the server, takes two dev tokens
// (embedded mode serves POST /v1/dev/tokens), has alice and bob join a room, alice sends a message that
// bob receives, reads the room's history over REST, prints all of it and exits (0, or 1 on failure).
import { io } from "socket.io-client";

const base = process.env.INTERLINKED_URL ?? "http://127.0.0.1:3000";
const deadline = Date.now() + 60_000;

async function ready() {
  for (;;) {
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${base} is not ready after 60 s: is \`npm start\` running?`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function token(user) {
  const res = await fetch(`${base}/v1/dev/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenant: "school-a", user, role: "student" }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/dev/tokens answered ${res.status}: ${await res.text()}`);
  return (await res.json()).token;
}

function connect(tokenValue) {
  const socket = io(base, { auth: { token: tokenValue }, transports: ["websocket"] });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => reject(new Error(`connect: ${err.message} ${JSON.stringify(err.data ?? {})}`)));
  });
}

const sockets = [];
try {
  await ready();
  console.log(`ready: ${base}`);
  const [aliceToken, bobToken] = [await token("alice"), await token("bob")];
  const alice = await connect(aliceToken);
  const bob = await connect(bobToken);
  sockets.push(alice, bob);
  console.log("alice room:join →", JSON.stringify(await alice.emitWithAck("room:join", { room: "math-101" })));
  console.log("bob room:join →", JSON.stringify(await bob.emitWithAck("room:join", { room: "math-101" })));
  const received = new Promise((resolve) => bob.once("room:message", resolve));
  console.log("alice room:message →", JSON.stringify(await alice.emitWithAck("room:message", { room: "math-101", text: "hi" })));
  console.log("bob received room:message:", JSON.stringify(await received));
  const history = await fetch(`${base}/v1/rooms/math-101/messages`, { headers: { authorization: `Bearer ${aliceToken}` } });
  console.log(`GET /v1/rooms/math-101/messages → ${history.status}`, JSON.stringify(await history.json()));
  process.exitCode = 0;
} catch (err) {
  console.error(`try: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  for (const s of sockets) s.close();
}
