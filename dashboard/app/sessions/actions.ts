'use server';

import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { deleteSession, deleteUserMemory } from '@/lib/api';
import { audited, operatorFrom } from '@/lib/audit';

// The two destructive actions. They run on the server (the admin key never leaves it), only after the page's
// two-click confirmation, and each leaves an audit line naming the operator IAP let through.

export async function deleteSessionAction(form: FormData): Promise<void> {
  const user = String(form.get('user'));
  const session = String(form.get('session'));
  const operator = operatorFrom(await headers());
  await audited({ action: 'delete_session', user, session, operator }, () => deleteSession(user, session));
  redirect(`/sessions?user=${encodeURIComponent(user)}&deleted=${encodeURIComponent(session)}`);
}

export async function deleteUserAction(form: FormData): Promise<void> {
  const user = String(form.get('user'));
  const operator = operatorFrom(await headers());
  await audited({ action: 'delete_user_memory', user, operator }, () => deleteUserMemory(user));
  redirect(`/sessions?user=${encodeURIComponent(user)}&deleted=all`);
}
