import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { precompress } from "./precompress.ts";

export default defineConfig({
  plugins: [react(), precompress()],
  server: { proxy: { "/api": `http://127.0.0.1:${process.env.PORT ?? 3000}` } },
  build: { outDir: process.env.WEB_DIST ?? "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
