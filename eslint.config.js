import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "data/**", "dist/**", "sdk/dist/**", ".dependency-cruiser.cjs", "db/migrations/**", "loadtest/**/*.js", ".cache/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // examples/ are plain Node scripts users paste and run
    files: ["examples/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", fetch: "readonly", setTimeout: "readonly" } },
  },
  {
    // tsconfig carries the DOM types for web/, sdk/ and browser tests: server code must not use browser globals
    files: ["core/**", "db/**", "realtime/**", "api/**", "workers/**", "media/**", "app/**"],
    rules: {
      "no-restricted-globals": ["error", "window", "document", "navigator", "localStorage", "sessionStorage", "location", "HTMLElement"],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
