import { defineConfig } from "vite";

// Served by the gateway at /dashboard/ from files embedded in Tandem.Server (no CDN, no dev server needed).
export default defineConfig({
  base: "/dashboard/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One JS and one CSS file: the page weight is what docs/DASHBOARD.md states.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
});
