import type { Metadata, Viewport } from 'next';
import localFont from 'next/font/local';
import Link from 'next/link';
import './globals.css';

// Inter (OFL) from @fontsource, shipped in app/fonts: nothing is fetched at build or run time.
const inter = localFont({
  src: [
    { path: './fonts/inter-latin-400-normal.woff2', weight: '400', style: 'normal' },
    { path: './fonts/inter-latin-600-normal.woff2', weight: '600', style: 'normal' },
  ],
  display: 'swap',
});

export const metadata: Metadata = {
  title: 'Agent dashboard',
  description: 'Chat, memory, system, benchmarks',
};
export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

const NAV = [
  ['/', 'Chat'],
  ['/sessions', 'Sessions & memory'],
  ['/system', 'System'],
  ['/benchmarks', 'Benchmarks'],
];

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" className={inter.className}>
      <body>
        <header className="top">
          <strong>Agent dashboard</strong>
          <nav>
            {NAV.map(([href, label]) => (
              <Link key={href} href={href}>
                {label}
              </Link>
            ))}
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
