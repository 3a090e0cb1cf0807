// @hono/node-server as the gateway sees it: `serve` binds loopback only and keeps Node's own Request/Response.
import { serve as honoServe } from '@hono/node-server';

export * from '@hono/node-server';

export function serve(options, listener) {
  return honoServe({ ...options, hostname: '127.0.0.1', overrideGlobalObjects: false }, listener);
}
