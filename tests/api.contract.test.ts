import { runApiContract } from "./api.case";
import { startDistributedDeployment, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { applyContract } from "./support/tiers";

applyContract<() => Promise<Deployment>>(runApiContract, [
  { name: "embedded (PGlite, in-memory bus)", tier: "unit", open: () => startEmbeddedDeployment() },
  { name: "distributed (PostgreSQL, Kafka, Redis, worker process)", tier: "integration", open: () => startDistributedDeployment(1) },
]);
