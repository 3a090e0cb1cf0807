// Module resolution hook (registered by launch.mjs): inside the gateway's bundle, `@hono/node-server`
// resolves to serve.mjs; every other import, and serve.mjs's own import of @hono/node-server, is untouched.
const SERVE = new URL('./serve.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@hono/node-server' && context.parentURL?.includes('/@portkey-ai/gateway/')) {
    return { url: SERVE, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
