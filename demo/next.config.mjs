// The demo's Next.js config. The package is installed from the packed tarball
// (scripts/demo-build.sh), exactly like a user's app installs it from npm.
import { fileURLToPath } from "node:url";

const demoDir = fileURLToPath(new URL(".", import.meta.url));

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The e2e tests build into their own folder so they never fight over .next.
  distDir: process.env.GRADVY_DEMO_DIST_DIR || ".next",
  // The repo root has its own package-lock.json; without this Turbopack would pick it as the root.
  turbopack: { root: demoDir },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
