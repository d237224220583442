/**
 * `npm start`'s first step: makes a mediasoup worker available (a prebuilt copy in seconds, cached;
 * see ./mediasoup.ts) so the embedded node hosts live classes. Never fails the start: without a worker the
 * node runs with classes signaled but not hosted, and says so.
 */
import { ensureMediasoupWorker } from "./mediasoup";

if (process.env.MEDIA === "0") process.exit(0);
try {
  const bin = await ensureMediasoupWorker(process.env.MEDIASOUP_WORKER_BIN || undefined, (line) => console.log(`[start] ${line}`));
  console.log(`[start] mediasoup worker: ${bin}`);
} catch (err) {
  console.warn(`[start] no mediasoup worker, live classes will not be hosted: ${err instanceof Error ? err.message : String(err)}`);
}
