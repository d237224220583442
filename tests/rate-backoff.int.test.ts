import { runRateBackoffCase } from "../api/rate-backoff.case";
import { redisClients } from "./support/redis-clients";
import { testNamespace } from "./support/services";

const redis = redisClients();
runRateBackoffCase("Redis (every node)", redis, () => `${testNamespace()}:api-rate:`);
