import { chatStream } from '@/lib/api';

// The browser's way to chat: this handler calls the service server-side and passes its event stream on.
export async function POST(request: Request): Promise<Response> {
  const { user, session, message } = await request.json();
  let upstream: Response;
  try {
    upstream = await chatStream({ user, session, message, stream: true });
  } catch (err) {
    return Response.json(
      { detail: `the service cannot be reached: ${(err as Error).message}` },
      { status: 502 },
    );
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: {
      'Content-Type': upstream.headers.get('content-type') ?? 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    },
  });
}
