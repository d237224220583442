import { runApiContract } from "./api.case";
import { startDistributedDeployment } from "./support/nodes";

runApiContract("distributed (PostgreSQL, Kafka, Redis, worker process)", () => startDistributedDeployment(1));
