// Lint: ESLint's and typescript-eslint's recommended rules over the TypeScript sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".wrangler/", "public/docs/vendor/", "public/timeline/", "worker-configuration.d.ts", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Tests and Graph's loosely typed bodies use `any` on purpose; the compiler's strict mode covers the rest.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Every Durable Object is reached through src/objects/addresses.ts, which places it in DATA_JURISDICTION.
    files: ["src/**/*.ts"],
    ignores: ["src/objects/addresses.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        ...["ACTIVITIES", "FEEDS", "USERS"].map((property) => ({
          property,
          message: "Reach Durable Objects through src/objects/addresses.ts.",
        })),
      ],
    },
  },
  {
    // Hono's c.var builds a new object from every variable on each read; c.get reads one.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[object.name='c'][property.name='var']", message: "Read context variables with c.get." },
      ],
    },
  },
  {
    files: ["public/**/*.js"],
    languageOptions: { globals: { window: "readonly", SwaggerUIBundle: "readonly" } },
  },
);
