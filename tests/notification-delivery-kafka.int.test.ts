import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webpush from "web-push";
import { notificationDefaults, type NotificationOptions } from "../core/config";
import { openDatabase } from "../db/database";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { testConfig } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { PushReceiver } from "./notifications/push-receiver";
import { SmtpSink } from "./notifications/smtp-sink";

const VAPID = webpush.generateVAPIDKeys();

/**
 * The distributed shape: an API node publishes to Kafka; a workers-only process (its own consumer group
 * `deliver-notifications` beside the persister) plans and sends over SMTP and web push.
 */
describe("notification delivery in the distributed mode (Kafka, PostgreSQL, Redis; API node + workers process)", () => {
  const smtp = new SmtpSink();
  const push = new PushReceiver();
  const nodes: RunningInterlinked[] = [];
  let api: RunningInterlinked;

  beforeAll(async () => {
    await smtp.start();
    await push.start();
    const databaseUrl = await createTestDatabase();
    const migrator = await openDatabase({ url: databaseUrl });
    await migrator.migrate();
    await migrator.close();
    const shared = { databaseUrl, redisUrl: serviceEnv("REDIS_URL"), kafkaBrokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace() };
    const notifications: NotificationOptions = {
      ...notificationDefaults,
      smtp: { url: `smtp://127.0.0.1:${smtp.port}`, from: "school@kafka.example" },
      vapid: { publicKey: VAPID.publicKey, privateKey: VAPID.privateKey, subject: "https://school.example/contact", extraCaPem: push.certPem },
      pollMs: 100,
    };
    nodes.push(await startInterlinked(testConfig({ ...shared, nodeId: "delivery-worker", roles: new Set(["workers"]), notifications })));
    api = await startInterlinked(testConfig({ ...shared, nodeId: "delivery-api", roles: new Set(["realtime", "api"]) }));
    nodes.push(api);
  }, 90_000);

  afterAll(async () => {
    for (const n of nodes.reverse()) await n.close();
    await smtp.stop();
    await push.stop();
  });

  it("an offline student with email and push enabled receives both through Kafka", async () => {
    const student = await apiAs(api.url, "ndk-a", "s1");
    expect((await student.put("/v1/notifications/preferences", { channels: { email: true, push: true }, email: "s1@kafka.example" })).status).toBe(200);
    expect((await student.post("/v1/notifications/push-subscriptions", push.subscribe("k-s1").subscription)).status).toBe(201);
    const teacher = await apiAs(api.url, "ndk-a", "t1", "teacher");
    const res = await teacher.post<{ id: string }>("/v1/notifications", { users: ["s1"], title: "Through Kafka", body: "Both channels." });
    expect(res.status).toBe(202);
    const [mail] = await eventually(async () => smtp.to("s1@kafka.example"), (m) => m.length > 0, 40_000);
    expect(mail?.subject).toBe("Through Kafka");
    expect(mail?.body).toBe("Both channels.");
    const [got] = await eventually(async () => push.of("k-s1"), (p) => p.length > 0, 40_000);
    expect(JSON.parse(got?.payload ?? "{}")).toMatchObject({ id: res.body.id, title: "Through Kafka" });
    expect(got?.vapid.sub).toBe("https://school.example/contact");
    expect(push.failures).toEqual([]);
  }, 60_000);
});
