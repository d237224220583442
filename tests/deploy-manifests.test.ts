import { readdirSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { realtimeDefaults } from "../core/config";
import { nginxDefaults, renderNginxConfig } from "../nginx/render-config";
import { distPathOf, productionEntries, repoRoot } from "../tools/build/production";

// compose/ and k8s/ cross-checked against the code: env names the entry points read, the port, health
// paths, drain timing, metric names, and the nginx config the renderer produces. The build with real
// kustomize is in deploy-manifests.int.test.ts.
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> };

const knownEnv = new Set([...read("core/config-env.ts").matchAll(/env\.([A-Z][A-Z0-9_]+)|int\(env, "([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? m[2]));
const healthPaths = new Set([...read("api/routes/health.ts").matchAll(/path: "(\/health\/[a-z]+)"/g)].map((m) => m[1]));
const metricNames = new Set([...read("core/metrics/registry.ts").matchAll(/name: "(interlinked_[a-z_]+)"/g)].map((m) => m[1]));
/** The interlinked_* metrics a PromQL expression reads (histogram series → the histogram's name). */
const metricsIn = (expr: string): string[] => [...expr.matchAll(/interlinked_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ""));
const k8sDocs = (dir: string): Doc[] =>
  readdirSync(new URL(`../k8s/${dir}`, import.meta.url))
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .flatMap((f) => parseAllDocuments(read(`k8s/${dir}/${f}`)).map((d) => d.toJSON() as Doc));
const base = k8sDocs("base");
const baseKustomization = parse(read("k8s/base/kustomization.yaml")) as { resources: string[]; configMapGenerator: Array<{ name: string; literals: string[] }> };
const config = Object.fromEntries((baseKustomization.configMapGenerator[0]?.literals ?? []).map((l) => l.split("=", 2) as [string, string]));

interface Container {
  ports: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string }>;
  readinessProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { exec: { command: string[] } } };
}
const deployments = base.filter((d) => d.kind === "Deployment") as Array<Doc & { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; terminationGracePeriodSeconds: number } } } }>;

describe("k8s (kustomize base and production overlay)", () => {
  it("lists exactly the base's files, and the overlay patches objects that exist", () => {
    const files = readdirSync(new URL("../k8s/base", import.meta.url)).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...baseKustomization.resources].sort()).toEqual(files.sort());
    const overlay = parse(read("k8s/overlays/production/kustomization.yaml")) as { resources: string[]; patches: Array<{ target: { kind: string; name: string } }>; secretGenerator: Array<{ envs: string[] }> };
    expect(overlay.resources).toEqual(["../../base"]);
    for (const p of overlay.patches) expect(base.some((d) => d.kind === p.target.kind && d.metadata?.name === p.target.name), `${p.target.kind}/${p.target.name}`).toBe(true);
    for (const f of overlay.secretGenerator.flatMap((g) => g.envs)) for (const line of read(`k8s/overlays/production/${f}`).trim().split("\n")) expect(knownEnv).toContain(line.split("=")[0]);
  });

  it("uses only environment variables the code reads, on the configured port, with real health paths", () => {
    for (const key of Object.keys(config)) expect(knownEnv, key).toContain(key);
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) {
        for (const e of c.env ?? []) expect(knownEnv, `${d.metadata?.name}: ${e.name}`).toContain(e.name);
        expect(c.ports).toEqual([{ name: "http", containerPort: Number(config.PORT) }]);
        expect(healthPaths).toContain(c.readinessProbe?.httpGet.path);
        expect(healthPaths).toContain(c.livenessProbe?.httpGet.path);
        expect(c.readinessProbe?.httpGet.path).toBe("/health/ready");
      }
    }
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual(["api", "media", "realtime", "workers"]);
  });

  it("drains socket pods before the kill: preStop, then DRAIN_GRACE_MS inside the termination grace period", () => {
    for (const name of ["realtime", "media"]) {
      const d = deployments.find((x) => x.metadata?.name === name) ?? expect.fail(name);
      const c = d.spec.template.spec.containers[0] ?? expect.fail("container");
      const preStop = Number(c.lifecycle?.preStop?.exec.command[1] ?? NaN);
      expect(preStop).toBeGreaterThan(0);
      expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(config.DRAIN_GRACE_MS) + preStop * 1000);
    }
  });

  it("autoscales realtime on CPU and connections, protects every workload with a PDB, keeps polling sessions sticky", () => {
    const hpa = base.find((d) => d.kind === "HorizontalPodAutoscaler" && d.metadata?.name === "realtime") as Doc & { spec: { metrics: Array<{ type: string; resource?: { name: string }; pods?: { metric: { name: string } } }> } };
    expect(hpa.spec.metrics.map((m) => m.resource?.name ?? m.pods?.metric.name)).toEqual(["cpu", "interlinked_realtime_connections"]);
    expect(metricNames).toContain("interlinked_realtime_connections");
    const pdbs = base.filter((d) => d.kind === "PodDisruptionBudget") as Array<Doc & { spec: { selector: { matchLabels: Record<string, string> } } }>;
    for (const d of deployments) expect(pdbs.some((p) => p.spec.selector.matchLabels.app === d.spec.template.metadata.labels.app), String(d.metadata?.name)).toBe(true);
    const ingress = base.find((d) => d.kind === "Ingress") as Doc & { metadata: { annotations: Record<string, string> }; spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }> } };
    expect(ingress.metadata.annotations["nginx.ingress.kubernetes.io/affinity"]).toBe("cookie");
    expect(Number(ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) * 1000).toBeGreaterThan(realtimeDefaults.pingIntervalMs + realtimeDefaults.pingTimeoutMs);
    const services = new Set(base.filter((d) => d.kind === "Service").map((d) => d.metadata?.name));
    for (const p of ingress.spec.rules[0]?.http.paths ?? []) expect(services).toContain(p.backend.service.name);
  });
});

describe("compose (docker compose, Prometheus, Grafana)", () => {
  const compose = parse(read("compose/docker-compose.yml"), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; healthcheck?: { test: string[] }; image?: string; volumes?: string[] }>;
  };
  const app = Object.entries(compose.services).filter(([, s]) => s.image === "interlinked:local");

  it("runs the full stack: stores, bus, three realtime nodes (one media), API, workers, nginx, Prometheus, Grafana, Jaeger", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "grafana", "jaeger", "kafka", "migrate", "nginx", "postgres", "prometheus", "realtime-0", "realtime-1", "realtime-2", "redis", "workers"]);
    expect(compose.services["realtime-0"]?.environment?.MEDIA).toBe("1");
  });

  it("lays a replicated data tier over it: three KRaft brokers (3 voters) and a 3+3 Redis Cluster the app services use", () => {
    const replicated = parse(read("compose/docker-compose.replicated.yml"), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; depends_on?: Record<string, unknown> }>;
    };
    const kafkas = ["kafka", "kafka-2", "kafka-3"].map((n) => replicated.services[n]?.environment ?? expect.fail(`no ${n}`));
    expect(kafkas.map((e) => e.KAFKA_NODE_ID)).toEqual(["1", "2", "3"]);
    for (const e of kafkas) {
      expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS?.split(",").map((v) => v.split("@")[1]?.split(":")[0])).toEqual(["kafka", "kafka-2", "kafka-3"]);
      expect(e).toMatchObject({ KAFKA_MIN_INSYNC_REPLICAS: "2", KAFKA_DEFAULT_REPLICATION_FACTOR: "3", KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "3" });
    }
    expect(Object.keys(replicated.services).filter((n) => /^redis-\d$/.test(n))).toHaveLength(6);
    for (const [name] of app.filter(([n]) => n !== "migrate")) {
      const env = replicated.services[name]?.environment ?? expect.fail(`${name} is not configured for the replicated tier`);
      for (const key of Object.keys(env)) expect(knownEnv, `${name}: ${key}`).toContain(key);
      expect(env).toMatchObject({ REDIS_URL: "", KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" });
      for (const host of [...(env.REDIS_CLUSTER_NODES ?? "").split(","), ...(env.KAFKA_BROKERS ?? "").split(",")].map((a) => a.split(":")[0] as string)) {
        expect({ ...compose.services, ...replicated.services }, `${name} → ${host}`).toHaveProperty([host]);
      }
    }
  });

  it("uses only environment variables the code reads and hosts that exist, health-checks /health/ready on PORT", () => {
    for (const [name, s] of app) {
      for (const key of Object.keys(s.environment ?? {})) expect(knownEnv, `${name}: ${key}`).toContain(key);
      for (const v of Object.values(s.environment ?? {})) {
        const host = /^[a-z]+:\/\/(?:[^@/]+@)?([a-z0-9-]+):/.exec(String(v))?.[1];
        if (host) expect(Object.keys(compose.services), `${name} → ${host}`).toContain(host);
      }
      if (name !== "migrate") {
        expect(s.environment?.PORT).toBe("3000");
        expect(s.healthcheck?.test.join(" ")).toContain("127.0.0.1:3000/health/ready");
      }
    }
  });

  it("scrapes every app service's /metrics; the dashboard queries only metrics the code exports", () => {
    const prom = parse(read("compose/prometheus.yml")) as { scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }> };
    const job = prom.scrape_configs[0] ?? expect.fail("no job");
    expect(job.metrics_path).toBe("/metrics");
    expect(job.static_configs[0]?.targets.sort()).toEqual(app.filter(([n]) => n !== "migrate").map(([n]) => `${n}:3000`).sort());
    const dashboard = JSON.parse(read("compose/grafana/dashboards/interlinked.json")) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr))));
    expect(used.size).toBeGreaterThan(8);
    for (const m of used) expect(metricNames, m).toContain(m);
    for (const latency of ["interlinked_realtime_ack_duration_seconds", "interlinked_delivery_duration_seconds", "interlinked_api_request_duration_seconds"]) expect(used, latency).toContain(latency);
  });

  it("loads alert rules on metrics the code exports: ack latency, acked records dead-lettered, consumer lag among them", () => {
    const prom = parse(read("compose/prometheus.yml")) as { rule_files: string[] };
    expect(prom.rule_files).toEqual(["alerts.yml"]);
    expect(compose.services.prometheus?.volumes).toContain("./prometheus-alerts.yml:/etc/prometheus/alerts.yml:ro");
    const rules = (parse(read("compose/prometheus-alerts.yml")) as { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string } }> }> }).groups.flatMap((g) => g.rules);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(["warning", "critical"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      if (r.for !== undefined) expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      for (const m of metricsIn(r.expr)) expect(metricNames, `${r.alert}: ${m}`).toContain(m);
    }
    const reading = (metric: string): string[] => rules.filter((r) => r.expr.includes(metric)).map((r) => r.alert);
    expect(reading("interlinked_realtime_ack_duration_seconds_bucket")).not.toEqual([]);
    expect(reading("interlinked_acked_records_lost_total")).not.toEqual([]); // dead letters: acked records lost
    expect(reading("interlinked_consumer_lag")).not.toEqual([]);
  });

  it("sends traces to Jaeger over OTLP/HTTP from every app service; Grafana reads both Prometheus and Jaeger", () => {
    for (const [name, s] of app) {
      if (name === "migrate") continue;
      expect(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe("http://jaeger:4318");
      expect(s.environment?.OTEL_SERVICE_NAME, name).toBe("interlinked");
    }
    const urls = ["prometheus.yml", "jaeger.yml"].map((f) => (parse(read(`compose/grafana/provisioning/datasources/${f}`)) as { datasources: Array<{ url: string }> }).datasources[0]?.url);
    expect(urls).toEqual(["http://prometheus:9090", "http://jaeger:16686"]);
  });

  it("ships the nginx config the renderer produces for its three nodes", () => {
    expect(read("compose/nginx.conf")).toBe(renderNginxConfig({ ...nginxDefaults, listen: "0.0.0.0:80", sockets: 30_000, nodes: [0, 1, 2].map((i) => ({ route: `n${i}`, address: `realtime-${i}:3000` })) }));
  });
});

describe("image and one-off commands (Dockerfile, k8s migrate Job, compose migrate)", () => {
  const built = new Set(productionEntries.map((e) => relative(repoRoot, distPathOf(e))));
  const dockerfile = read("Dockerfile");

  it("run the compiled bundle npm run build produces, with production dependencies only and no tsx", () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? expect.fail("no CMD")) as string[];
    expect(cmd[0]).toBe("node");
    expect(cmd.at(-1)).toBe("dist/app/main.js");
    expect(dockerfile).toContain("RUN npm run build");
    expect(dockerfile).toContain("npm ci --omit=dev");
    expect(dockerfile).toContain("COPY db/migrations ./db/migrations");
    const job = base.find((d) => d.kind === "Job" && d.metadata?.name === "migrate") as Doc & { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
    const jobCommand = job.spec.template.spec.containers[0]?.command ?? expect.fail("no migrate container");
    const compose = parse(read("compose/docker-compose.yml"), { merge: true }) as { services: Record<string, { command?: string[] }> };
    const composeCommand = compose.services.migrate?.command ?? expect.fail("no compose migrate command");
    for (const command of [cmd, jobCommand, composeCommand]) {
      expect(command[0]).toBe("node");
      expect(built).toContain(command.at(-1));
    }
    expect(jobCommand.at(-1)).toBe("dist/scripts/migrate.js");
    expect(composeCommand.at(-1)).toBe("dist/scripts/migrate.js");
    for (const file of ["Dockerfile", "k8s/base/migrate-job.yaml", "compose/docker-compose.yml"]) expect(read(file), file).not.toMatch(/\btsx\b/);
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain("tsx");
    expect(Object.keys(pkg.devDependencies)).toContain("esbuild");
  });
});
