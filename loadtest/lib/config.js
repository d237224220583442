// Shared knobs (environment): URL, SOCKETS (this k6 process), PER_VU (sockets one VU holds), HOLD_S,
// RATE (messages/s where a scenario sends), PROCESS (index of this k6 process in a split run), TENANT.
export const cfg = {
  url: __ENV.URL || "http://127.0.0.1:3000",
  sockets: Number(__ENV.SOCKETS || 100),
  perVu: Number(__ENV.PER_VU || 500),
  holdS: Number(__ENV.HOLD_S || 30),
  rate: Number(__ENV.RATE || 10),
  concurrency: Number(__ENV.CONCURRENCY || 50),
  process: Number(__ENV.PROCESS || 0),
  tenant: __ENV.TENANT || "loadtest",
};

/** One iteration per VU, each VU holding up to PER_VU sockets. */
export function vuOptions(thresholds, extraSeconds = 60) {
  const vus = Math.max(1, Math.ceil(cfg.sockets / cfg.perVu));
  return {
    scenarios: { main: { executor: "per-vu-iterations", vus, iterations: 1, maxDuration: `${cfg.holdS + Number(__ENV.WARMUP_S || 0) + extraSeconds}s` } },
    thresholds,
    summaryTrendStats: ["avg", "p(50)", "p(95)", "p(99)", "max"],
  };
}

/** Sockets this VU opens (the last VU takes the remainder). */
export function socketsOfThisVu() {
  const vus = Math.max(1, Math.ceil(cfg.sockets / cfg.perVu));
  const vu = __VU - 1;
  return vu < vus - 1 ? cfg.perVu : cfg.sockets - cfg.perVu * (vus - 1);
}

/** A user id unique across VUs and processes of one split run. */
export const userId = (i) => `p${cfg.process}-v${__VU}-u${i}`;
