import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "data/**", "dist/**", ".dependency-cruiser.cjs", "db/migrations/**", "loadtest/**/*.js", ".cache/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // examples/ are plain Node scripts users paste and run
    files: ["examples/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", fetch: "readonly", setTimeout: "readonly" } },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
