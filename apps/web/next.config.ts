// Next.js configuration for Sylva's web app. In production the compute service serves this app and the
// API on one origin; for development, SYLVA_COMPUTE_URL (e.g. http://127.0.0.1:8787) proxies /trpc,
// /api and the /sync websocket to a separately running service.
import type { NextConfig } from "next";

const compute = process.env.SYLVA_COMPUTE_URL?.replace(/\/+$/, "");

const config: NextConfig = {
  reactStrictMode: true,
  transpilePackages: ["@sylva/shared", "@sylva/core"],
  ...(compute
    ? {
        async rewrites() {
          return [
            { source: "/trpc/:path*", destination: `${compute}/trpc/:path*` },
            { source: "/api/:path*", destination: `${compute}/api/:path*` },
            { source: "/sync/:path*", destination: `${compute}/sync/:path*` },
          ];
        },
      }
    : {}),
};

export default config;
