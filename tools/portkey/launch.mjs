// Serve the open-source Portkey AI gateway (npm @portkey-ai/gateway) on loopback, for tests and local runs.
//
//   node tools/portkey/launch.mjs --port=8787 [--headless]
//
// The package ships one bundled script, build/start-server.js, that builds the gateway's Hono app and calls
// @hono/node-server's `serve({fetch, port})` itself; it exports no app. Served that way on Node 20 it binds
// every interface, and @hono/node-server's default `overrideGlobalObjects: true` swaps the global Response for
// a lightweight one whose headers the gateway then fails to append to on streaming and embeddings
// (`TypeError: immutable` in appendHeader; Portkey gateway issues #1389, #1550). Rather than patching minified
// code, a module hook (hooks.mjs) hands the gateway our serve.mjs instead of @hono/node-server: the same
// module, except that `serve` always passes `hostname: '127.0.0.1'` and `overrideGlobalObjects: false`.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
await import('@portkey-ai/gateway/build/start-server.js');
