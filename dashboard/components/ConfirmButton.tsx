'use client';

import { useState } from 'react';

/**
 * A destructive submit button that asks first: the first click shows "Yes, …" and "Cancel";
 * only "Yes" submits the surrounding form.
 */
export function ConfirmButton({ label, confirm }: { label: string; confirm: string }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm">
      <span>{confirm}</span>
      <button type="submit" className="danger">
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
