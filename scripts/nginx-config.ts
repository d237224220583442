/**
 * `npm run nginx:config -- --nodes n0=host:port,n1=host:port [--listen 0.0.0.0:80] [--sockets 100000] [--upstream-sources 10.0.0.5,10.0.0.6]`:
 * prints the production nginx config (nginx/render-config.ts). Without arguments it prints the committed
 * example, nginx/interlinked.conf.
 */
import { parseArgs } from "node:util";
import { nginxDefaults, renderNginxConfig } from "../nginx/render-config";

const { values } = parseArgs({
  options: { nodes: { type: "string", default: "n0=realtime-0:3000,n1=realtime-1:3000,n2=realtime-2:3000" }, listen: { type: "string", default: "0.0.0.0:80" }, sockets: { type: "string" }, "run-dir": { type: "string" }, "upstream-sources": { type: "string" } },
});
const nodes = values.nodes.split(",").map((entry) => {
  const [route, address] = entry.split("=");
  if (!route || !address) throw new Error(`--nodes entries are route=host:port, got "${entry}"`);
  return { route, address };
});
const upstreamSources = values["upstream-sources"]?.split(",").filter((a) => a !== "");
process.stdout.write(
  renderNginxConfig({ ...nginxDefaults, listen: values.listen, nodes, sockets: values.sockets ? Number(values.sockets) : nginxDefaults.sockets, runDir: values["run-dir"], ...(upstreamSources ? { upstreamSources } : {}) }),
);
