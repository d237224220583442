import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { serviceEnv } from "./support/services";

// The production overlay built by real kustomize (KUSTOMIZE_BIN, built with Go by the global setup); the
// manifests are cross-checked against the code without it in deploy-manifests.test.ts.
type Doc = Record<string, unknown> & { kind?: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

describe("k8s (kustomize base and production overlay)", () => {
  it("builds with real kustomize: namespace, image, generated secret referenced by every workload", () => {
    const built = spawnSync(serviceEnv("KUSTOMIZE_BIN"), ["build", "k8s/overlays/production"], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const docs = parseAllDocuments(built.stdout).map((d) => d.toJSON() as Doc);
    expect(docs.every((d) => d.metadata.namespace === "interlinked")).toBe(true);
    const secret = docs.find((d) => d.kind === "Secret")?.metadata.name ?? expect.fail("no secret");
    expect(secret).toMatch(/^interlinked-secrets-[a-z0-9]+$/);
    const text = built.stdout;
    expect(text).toContain("image: registry.example.org/interlinked:0.1.0");
    expect(text).not.toMatch(/image: interlinked:latest/);
    expect([...text.matchAll(/name: (interlinked-secrets[a-z0-9-]*)/g)].every((m) => m[1] === secret)).toBe(true);
    const realtime = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "realtime") as Doc & { spec: { replicas: number } };
    expect(realtime.spec.replicas).toBe(6);
  });

  it("builds the replicated overlay: a 3-voter Kafka StatefulSet and a 3+3 Redis Cluster, the app configured for both", () => {
    const built = spawnSync(serviceEnv("KUSTOMIZE_BIN"), ["build", "k8s/overlays/replicated"], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const docs = parseAllDocuments(built.stdout).map((d) => d.toJSON() as Doc);
    expect(docs.every((d) => d.metadata.namespace === "interlinked")).toBe(true);
    const sets = docs.filter((d) => d.kind === "StatefulSet") as Array<Doc & { spec: { replicas: number; template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } } }>;
    expect(sets.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
      ["kafka", 3],
      ["redis-cluster", 6],
    ]);
    const kafkaEnv = Object.fromEntries((sets[0]?.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(kafkaEnv.KAFKA_CONTROLLER_QUORUM_VOTERS?.split(",")).toHaveLength(3);
    expect(kafkaEnv).toMatchObject({ KAFKA_MIN_INSYNC_REPLICAS: "2", KAFKA_DEFAULT_REPLICATION_FACTOR: "3", KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "3" });
    const config = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "interlinked-config") as Doc & { data: Record<string, string> };
    expect(config.data).toMatchObject({ REDIS_URL: "", KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" });
    expect(config.data.REDIS_CLUSTER_NODES?.split(",")).toHaveLength(3);
    expect(config.data.KAFKA_BROKERS?.split(",")).toHaveLength(3);
    expect(docs.some((d) => d.kind === "Job" && d.metadata.name === "redis-cluster-create")).toBe(true);
  });
});
