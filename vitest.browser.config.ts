import { defineConfig } from "vitest/config";

/** Browser tests: the built web UI served by the real server, driven in Debian's Chromium. */
export default defineConfig({
  test: {
    include: ["tests/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
