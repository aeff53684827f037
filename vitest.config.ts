import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["core/src/**/*.test.ts", "server/src/**/*.test.ts", "data/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database test files each open their own database; two cores on CI.
    maxWorkers: 2,
  },
});
