// Next.js configuration for Sylva's web app.
import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  transpilePackages: ["@sylva/shared"],
};

export default config;
