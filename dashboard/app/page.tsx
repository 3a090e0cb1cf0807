import { ChatPlayground } from '@/components/ChatPlayground';
import { getSession } from '@/lib/api';

// The chat playground: user and session come from the URL (?user=&session=) or default to the README's;
// a session that exists opens with its stored turns.
export default async function ChatPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { user = 'me', session = 's1' } = await searchParams;
  const stored = await getSession(user, session);
  return (
    <>
      <h1>Chat playground</h1>
      <ChatPlayground key={`${user}/${session}`} user={user} session={session} history={stored?.messages} />
    </>
  );
}
