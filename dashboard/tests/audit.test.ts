import { describe, expect, it } from 'vitest';
import { audited, auditLine, operatorFrom } from '@/lib/audit';

describe('audit', () => {
  it('takes the operator from the header IAP sets, without its prefix', () => {
    const h = new Headers({ 'X-Goog-Authenticated-User-Email': 'accounts.google.com:alice@example.com' });
    expect(operatorFrom(h)).toBe('alice@example.com');
    expect(operatorFrom(new Headers())).toBeNull(); // no IAP in front (local runs)
    expect(
      operatorFrom(new Headers({ 'x-goog-authenticated-user-email': 'accounts.google.com:' })),
    ).toBeNull();
  });

  it('writes one JSON line Cloud Logging reads: severity, message, the entry', () => {
    const line = auditLine({
      action: 'delete_session',
      user: 'bob',
      session: 's1',
      operator: 'alice@example.com',
      outcome: 'ok',
    });
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line);
    expect(parsed.severity).toBe('NOTICE');
    expect(parsed.message).toBe('audit: alice@example.com delete_session session s1 of bob: ok');
    expect(parsed.audit).toMatchObject({ user: 'bob', session: 's1', operator: 'alice@example.com' });
  });

  it('logs the outcome after the action, and a failure too, which it rethrows', async () => {
    const lines: string[] = [];
    const entry = { action: 'delete_user_memory', user: 'bob', operator: null } as const;
    await audited(
      entry,
      async () => {},
      (l) => lines.push(l),
    );
    await expect(
      audited(
        entry,
        async () => {
          throw new Error('delete memory of bob: 503');
        },
        (l) => lines.push(l),
      ),
    ).rejects.toThrow('503');
    const [ok, failed] = lines.map((l) => JSON.parse(l));
    expect([ok.severity, ok.audit.outcome, ok.message]).toEqual([
      'NOTICE',
      'ok',
      'audit: unknown operator delete_user_memory all memory of bob: ok',
    ]);
    expect([failed.severity, failed.audit.outcome, failed.audit.detail]).toEqual([
      'WARNING',
      'failed',
      'delete memory of bob: 503',
    ]);
  });
});
