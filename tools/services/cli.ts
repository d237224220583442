/**
 * `npm run services`: starts the real services the tests use (or checks the given ones) and prints
 * their environment, then keeps them up until Ctrl-C. Reads REDIS_URL, DATABASE_URL, KAFKA_BROKERS,
 * NGINX_BIN, MEDIASOUP_WORKER_BIN.
 */
import { givenServices, provisionServices } from "./provision";

const log = (line: string): void => console.log(`[services] ${line}`);
const services = await provisionServices(givenServices(process.env), log);
for (const [k, v] of Object.entries(services.env)) console.log(`export ${k}=${v}`);
const shutdown = (): void => {
  void services.stop({ keepLogs: false }).then(() => process.exit(0));
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
