'use client';

import { useRouter } from 'next/navigation';
import { startTransition } from 'react';

// Any page's failure (most often: the service is down or refused the request), with a way to try again. In
// production Next hides a server error's message from the browser and sends only its digest, which the
// dashboard's log prints beside the real error.
export default function ErrorBoundary({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  const router = useRouter();
  // a server component's error needs its data fetched again: refresh, then re-render the segment
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  return (
    <section className="panel error" role="alert">
      <h2>Something went wrong</h2>
      {error.digest ? (
        <p>
          The server could not render this page: the service is unreachable or refused the request (an invalid
          user or session name, a missing key). Its log has error digest <code>{error.digest}</code>.
        </p>
      ) : (
        <p>{error.message || 'The page could not be rendered.'}</p>
      )}
      <button onClick={retry}>Try again</button>
    </section>
  );
}
