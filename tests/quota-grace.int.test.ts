import { runQuotaGraceCase } from "../realtime/quota-grace.case";
import { RedisKeyedState } from "../realtime/state/keyed-state-redis";
import { redisClients } from "./support/redis-clients";
import { testNamespace } from "./support/services";

const redis = redisClients();
runQuotaGraceCase("Redis (cluster-wide)", async () => {
  const client = redis();
  const prefix = `${testNamespace()}:`;
  return { state: new RedisKeyedState(client, prefix), redis: client, prefix };
});
