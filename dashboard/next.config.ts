import type { NextConfig } from 'next';

// Offline and self-contained: no telemetry (set in the environment too), a standalone server for the container.
const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: __dirname, // the dashboard is its own project inside the repository
  poweredByHeader: false,
};

export default nextConfig;
