'use server';

import { redirect } from 'next/navigation';
import { deleteSession, deleteUserMemory } from '@/lib/api';

export async function deleteSessionAction(form: FormData): Promise<void> {
  const user = String(form.get('user'));
  await deleteSession(user, String(form.get('session')));
  redirect(
    `/sessions?user=${encodeURIComponent(user)}&deleted=${encodeURIComponent(String(form.get('session')))}`,
  );
}

export async function deleteUserAction(form: FormData): Promise<void> {
  const user = String(form.get('user'));
  await deleteUserMemory(user);
  redirect(`/sessions?user=${encodeURIComponent(user)}&deleted=all`);
}
