// The only way the dashboard reaches the service: on the server, with the URL and key from the environment.
import 'server-only';
import createClient from 'openapi-fetch';
import type { components, paths } from './api-types';

export type Schemas = components['schemas'];
export type ChatResponse = Schemas['ChatResponse'];
export type MemoryItem = Schemas['MemoryItemPublic'];
export type ReadyResponse = Schemas['ReadyResponse'];
export type SessionPublic = Schemas['SessionPublic'];
export type SessionDetail = Schemas['SessionDetail'];

/** The service's base URL (API_BASE_URL; `make run` and the tests set it). */
export function baseUrl(): string {
  return (process.env.API_BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
}

function authHeaders(): Record<string, string> {
  const key = process.env.SERVICE_API_KEY; // one of the service's SERVICE_API_KEYS, when it has any
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function client() {
  return createClient<paths>({ baseUrl: baseUrl(), headers: authHeaders(), cache: 'no-store' });
}

/** An answer of the service other than the one a page expects. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function fail(what: string, response: Response, error: unknown): never {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail ?? error ?? '');
  throw new ServiceError(`${what}: ${response.status} ${text}`.trim(), response.status);
}

/** /readyz: 200 once warmed up, 503 before; both carry the capabilities report. */
export async function getReady(): Promise<ReadyResponse> {
  const { data, error, response } = await client().GET('/readyz');
  if (data) return data;
  if (response.status === 503 && error) return error as ReadyResponse;
  fail('readyz', response, error);
}

export async function listSessions(user: string): Promise<SessionPublic[]> {
  const { data, error, response } = await client().GET('/v1/users/{user}/sessions', {
    params: { path: { user } },
  });
  if (data) return data;
  fail(`sessions of ${user}`, response, error);
}

/** One session with its turns, or null when the user has no such session. */
export async function getSession(user: string, session: string): Promise<SessionDetail | null> {
  const { data, error, response } = await client().GET('/v1/users/{user}/sessions/{session}', {
    params: { path: { user, session } },
  });
  if (data) return data;
  if (response.status === 404) return null;
  fail(`session ${session} of ${user}`, response, error);
}

/** Which memories a search or listing may return (GET /v1/users/{user}/memories' filters). */
export type MemoryFilter = {
  session?: string;
  kind?: Schemas['MemoryKind'][];
  since?: string; // ISO 8601; without a zone: UTC
  until?: string;
  valid_only?: boolean;
};

/** The user's facts and summaries; with `q`, the `k` most relevant long-term items with their scores. */
export async function searchMemories(
  user: string,
  q?: string,
  k = 20,
  filter: MemoryFilter = {},
): Promise<MemoryItem[]> {
  const { data, error, response } = await client().GET('/v1/users/{user}/memories', {
    params: { path: { user }, query: { q: q || undefined, k, ...filter } },
  });
  if (data) return data;
  fail(`memories of ${user}`, response, error);
}

export async function deleteSession(user: string, session: string): Promise<void> {
  const { error, response } = await client().DELETE('/v1/users/{user}/sessions/{session}', {
    params: { path: { user, session } },
  });
  if (!response.ok) fail(`delete session ${session}`, response, error);
}

export async function deleteUserMemory(user: string): Promise<void> {
  const { error, response } = await client().DELETE('/v1/users/{user}/memories', {
    params: { path: { user } },
  });
  if (!response.ok) fail(`delete memory of ${user}`, response, error);
}

/** POST /v1/chat with `stream: true`: the raw Server-Sent Events response, to pass on to the browser. */
export async function chatStream(body: Schemas['ChatRequest']): Promise<Response> {
  return fetch(`${baseUrl()}/v1/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders() },
    body: JSON.stringify({ ...body, stream: true }),
    cache: 'no-store',
  });
}

/** /metrics in Prometheus' text format. */
export async function getMetricsText(): Promise<string> {
  const response = await fetch(`${baseUrl()}/metrics`, { cache: 'no-store' });
  if (!response.ok) throw new ServiceError(`metrics: ${response.status}`, response.status);
  return response.text();
}
