// Who erased what: one structured log line per destructive action, written on the server.
//
// Deployed, the dashboard sits behind Identity-Aware Proxy, which names the operator it let through in the
// `X-Goog-Authenticated-User-Email` request header (`accounts.google.com:alice@example.com`). The line records that
// name as IAP reported it; it is an audit trail, not an access check (IAP is the access check). Locally there is no
// IAP and the operator is null.

/** The request header IAP sets to the signed-in operator's identity. */
export const IAP_USER_HEADER = 'x-goog-authenticated-user-email';

/** The operator IAP let through, without IAP's `accounts.google.com:` prefix; null when no IAP is in front. */
export function operatorFrom(headers: Pick<Headers, 'get'>): string | null {
  const raw = headers.get(IAP_USER_HEADER)?.trim();
  if (!raw) return null;
  return raw.replace(/^accounts\.google\.com:/, '') || null;
}

export type AuditEntry = {
  action: 'delete_session' | 'delete_user_memory';
  user: string; // whose memory
  session?: string;
  operator: string | null; // as IAP reported it
  outcome: 'ok' | 'failed';
  detail?: string; // why it failed
};

/** One JSON line in the shape Cloud Logging reads from stdout (`severity`, `message`, the rest as fields). */
export function auditLine(entry: AuditEntry): string {
  const target = entry.session ? `session ${entry.session} of ${entry.user}` : `all memory of ${entry.user}`;
  return JSON.stringify({
    severity: entry.outcome === 'ok' ? 'NOTICE' : 'WARNING',
    message: `audit: ${entry.operator ?? 'unknown operator'} ${entry.action} ${target}: ${entry.outcome}`,
    audit: entry,
  });
}

/** Run `act`, then log its audit line, whether it succeeded or threw (and rethrow). */
export async function audited(
  entry: Omit<AuditEntry, 'outcome' | 'detail'>,
  act: () => Promise<void>,
  log: (line: string) => void = console.log,
): Promise<void> {
  try {
    await act();
  } catch (err) {
    log(auditLine({ ...entry, outcome: 'failed', detail: (err as Error).message }));
    throw err;
  }
  log(auditLine({ ...entry, outcome: 'ok' }));
}
