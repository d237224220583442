/**
 * `npm run services:prepare`: installs and caches everything the tests provision, without starting
 * anything: Debian packages (when root), Kafka's jars from Maven Central, the mediasoup worker build, k6, kustomize and Jaeger built with Go,
 * schemathesis from PyPI.
 * .ci/run calls it so its phases are timed apart from the tests; `npm test` does the same on demand.
 */
import { ensureGoTool } from "./go-tools";
import { ensureKafkaJars } from "./kafka";
import { ensureMediasoupWorker } from "./mediasoup";
import { ensureCommands } from "./packages";
import { requirements } from "./provision";
import { ensureSchemathesis } from "./schemathesis";

const log = (line: string): void => console.log(`[prepare] ${line}`);
const bins = await ensureCommands(requirements({ redis: true, postgres: true }), log);
log(`commands: ${[...bins.entries()].map(([k, v]) => `${k}=${v}`).join(" ")}`);
log(`kafka jars: ${await ensureKafkaJars(bins.get("mvn") as string, log)}`);
log(`mediasoup worker: ${await ensureMediasoupWorker(process.env.MEDIASOUP_WORKER_BIN, log)}`);
log(`k6: ${await ensureGoTool("k6", process.env.K6_BIN, log)}`);
log(`kustomize: ${await ensureGoTool("kustomize", process.env.KUSTOMIZE_BIN, log)}`);
log(`jaeger: ${await ensureGoTool("jaeger", process.env.JAEGER_BIN, log)}`);
log(`schemathesis: ${await ensureSchemathesis(process.env.SCHEMATHESIS_BIN, log)}`);
