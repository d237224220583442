import { runMediaRpcContract } from "./media-rpc.case";
import { MemoryMediaRpc } from "./media-rpc-memory";

runMediaRpcContract("memory", async () => {
  const rpc = new MemoryMediaRpc();
  return [rpc, rpc];
});
