/**
 * A full garbage collection in another Node process through its inspector (started with
 * `--inspect=127.0.0.1:PORT`): the Chrome DevTools Protocol's `HeapProfiler.collectGarbage`, then the answer.
 * For benchmarks that compare what a server keeps alive (RSS after a full GC) with what it holds at a moment.
 */
import WebSocket from "ws";

export async function collectGarbage(inspectPort: number, timeoutMs = 30_000): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on :${inspectPort}`);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collectGarbage: no answer within ${timeoutMs} ms`)), timeoutMs);
      ws.once("error", reject);
      ws.once("open", () => ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" })));
      ws.on("message", (raw: Buffer) => {
        const m = JSON.parse(raw.toString()) as { id?: number; error?: { message: string } };
        if (m.id !== 1) return;
        clearTimeout(timer);
        if (m.error) reject(new Error(m.error.message));
        else resolve();
      });
    });
  } finally {
    ws.close();
  }
}
