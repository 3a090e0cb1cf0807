import { getMetricsText } from '@/lib/api';
import { parsePrometheus, summarize } from '@/lib/prometheus';

export const dynamic = 'force-dynamic';

// The System page polls this: the service's /metrics, read server-side and reduced to the charted counters.
export async function GET(): Promise<Response> {
  try {
    return Response.json(summarize(parsePrometheus(await getMetricsText()), Date.now()));
  } catch (err) {
    return Response.json({ detail: (err as Error).message }, { status: 502 });
  }
}
