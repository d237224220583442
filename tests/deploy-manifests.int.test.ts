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
});
