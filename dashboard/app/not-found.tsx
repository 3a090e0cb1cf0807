import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="panel">
      <h2>Not found</h2>
      <Link href="/">Back to the chat</Link>
    </section>
  );
}
