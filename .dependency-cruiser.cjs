/**
 * The layering, as a rule `npm run check` enforces (README "Layers"):
 *
 *   core  ←  db  ←  realtime | api | workers | media  ←  app  ←  scripts | tools
 *
 * A folder imports only from the layers to its left (and itself); realtime, api, workers and media do not
 * import each other: what two of them share is a contract in core/. Product code never imports tests.
 * Tests (`*.test.ts`, `*.case.ts`, tests/) may import anything.
 */
const TEST = "(^tests/|\\.test\\.ts$|\\.case\\.ts$)";
const layer = (name, allowed) => ({
  name: `${name}-layer`,
  comment: `${name}/ may import only ${allowed.join(", ")} (core ← db ← realtime|api|workers|media ← app ← scripts|tools)`,
  severity: "error",
  from: { path: `^${name}/`, pathNot: TEST },
  to: { path: "^[^/]+/", pathNot: [`^(${[name, ...allowed].join("|")})/`, "^node_modules/"] },
});

module.exports = {
  forbidden: [
    layer("core", []),
    layer("db", ["core"]),
    layer("realtime", ["core", "db"]),
    layer("api", ["core", "db"]),
    layer("workers", ["core", "db"]),
    layer("media", ["core", "db"]),
    layer("nginx", ["core"]),
    layer("app", ["core", "db", "realtime", "api", "workers", "media"]),
    layer("tools", ["core", "db", "realtime", "api", "workers", "media", "app", "nginx"]),
    layer("scripts", ["core", "db", "realtime", "api", "workers", "media", "app", "nginx", "tools", "sdk"]),
    {
      name: "sdk-core-types-only",
      comment: "sdk/ ships to browsers: from the server code it may import only types of core/ (`import type`), never values",
      severity: "error",
      from: { path: "^sdk/", pathNot: TEST },
      to: { path: "^core/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "sdk-no-server-code",
      comment: "sdk/ may import nothing of the server but core/ types",
      severity: "error",
      from: { path: "^sdk/", pathNot: TEST },
      to: { path: "^[^/]+/", pathNot: ["^(sdk|core)/", "^node_modules/"] },
    },
    {
      name: "sdk-importers",
      comment: "only the browser pages (web/), tests and the chaos command (which drives real SDK clients) import the SDK",
      severity: "error",
      from: { pathNot: [TEST, "^(sdk|web)/", "^scripts/chaos/"] },
      to: { path: "^sdk/" },
    },
    {
      name: "no-tests-in-product-code",
      comment: "product code never imports a test, a contract suite or test support",
      severity: "error",
      from: { pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: "no-circular",
      comment: "an import cycle ties layers (or files of one layer) into one unit",
      severity: "error",
      from: { pathNot: TEST },
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that resolves to nothing",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|data|dist|sdk/dist|db/migrations)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
