import { isCluster, type RedisClient } from "./redis-client";
import { WindowBatcher } from "./window-batcher";

type Command = { name: "get"; args: [string] } | { name: "eval"; args: [string, number, ...Array<string | number>] };
type Answer = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Single-key commands of the connect path (a revocation GET, a presence script) asked within one window
 * (2 ms) go to Redis as one pipeline: one socket write and one round trip for a connect storm's worth of
 * sockets, instead of a write per command (the command connection does not auto-pipeline:
 * app/redis-connections.ts). Each command keeps its own answer or error, in order. On a Redis Cluster a
 * pipeline must stay on one slot, so there each command is sent alone, as before.
 */
export class RedisWindow {
  private readonly batcher: WindowBatcher<Command, Answer>;

  constructor(
    private readonly redis: RedisClient,
    windowMs = 2,
  ) {
    this.batcher = new WindowBatcher<Command, Answer>(async (_key, commands) => {
      const pipeline = this.redis.pipeline();
      for (const c of commands) {
        if (c.name === "get") pipeline.get(c.args[0]);
        else pipeline.eval(...c.args);
      }
      const results = (await pipeline.exec()) ?? [];
      return commands.map((_, i): Answer => {
        const [error, value] = results[i] ?? [new Error("no answer from the pipeline"), undefined];
        return error ? { ok: false, error } : { ok: true, value };
      });
    }, windowMs);
  }

  private async send(command: Command): Promise<unknown> {
    if (isCluster(this.redis)) return command.name === "get" ? this.redis.get(command.args[0]) : this.redis.eval(...command.args);
    const answer = await this.batcher.add("", command);
    if (!answer.ok) throw answer.error;
    return answer.value;
  }

  get(key: string): Promise<string | null> {
    return this.send({ name: "get", args: [key] }) as Promise<string | null>;
  }

  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown> {
    return this.send({ name: "eval", args: [script, numKeys, ...args] });
  }
}
