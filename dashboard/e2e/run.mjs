// End-to-end in real Chromium (Debian's, driven by playwright-core) against the built dashboard and the real service.
// Env: DASHBOARD_URL (required), CHROMIUM (default /usr/bin/chromium), SECRET and SERVICE_URL (the service's key and
// URL, which no page or script may contain),
// SHOTS (screenshot folder, default test-results/screenshots).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.DASHBOARD_URL;
assert.ok(base, 'DASHBOARD_URL is not set');
const shots = process.env.SHOTS ?? 'test-results/screenshots';
mkdirSync(shots, { recursive: true });
const user = `e2e${Date.now().toString(36)}`;
const session = 'chat-e2e';
const ANSWER_MS = 120_000; // a reply of the local model on two shared cores
const PROMOTE_MS = 120_000; // idle 5 s, then summarising with the local model

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  results.push(name);
  console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}
const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

try {
  // As deployed behind IAP, which names the signed-in operator to the dashboard (its delete actions log it).
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: { 'X-Goog-Authenticated-User-Email': 'accounts.google.com:e2e-operator@example.com' },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  async function say(text) {
    const streamed = page.waitForResponse((r) => r.url().endsWith('/api/chat'), { timeout: ANSWER_MS });
    await page.getByLabel('Message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    const response = await streamed;
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /text\/event-stream/);
    const answer = page.locator('li[data-role="assistant"]').last();
    await answer
      .locator('xpath=self::*[@data-state="done" or @data-state="error"]')
      .waitFor({ timeout: ANSWER_MS });
    assert.equal(await answer.getAttribute('data-state'), 'done', await answer.innerText());
    assert.ok(Number(await answer.getAttribute('data-deltas')) >= 1, 'no delta event arrived');
    assert.ok((await answer.locator('.text').innerText()).trim().length > 0, 'empty reply');
    return answer;
  }

  await check('chat: two turns stream a reply and the memory panel updates', async () => {
    await page.goto(`${base}/?user=${user}&session=${session}`);
    await page.getByRole('heading', { name: 'Chat playground' }).waitFor();
    await page.getByText('Send a message to see what memory recalls').waitFor();
    const first = await say('My name is Ada and I drink green tea.');
    await shot(page, 'chat-turn1');
    assert.match(await first.locator('.meta').innerText(), /recalled/);
    await say('What do I drink?');
    const panel = page.getByTestId('memory-panel');
    const shortTerm = panel.getByTestId('group-Short-term turns');
    await shortTerm.getByText('My name is Ada and I drink green tea.').waitFor();
    assert.ok((await panel.getByTestId('recalled-item').count()) >= 1);
    await shot(page, 'chat');
    await page.reload(); // the session reopens with its stored turns
    await page.getByTestId('turns').getByText('What do I drink?').waitFor();
    assert.equal(await page.getByTestId('turns').locator('li').count(), 4);
  });

  await check('neither the service URL nor its key reaches the browser', async () => {
    const secrets = [process.env.SECRET, process.env.SERVICE_URL].filter(Boolean);
    assert.equal(secrets.length, 2, 'SECRET and SERVICE_URL must be set');
    const scripts = new Set();
    for (const route of ['/', '/sessions', '/system', '/benchmarks']) {
      const html = await (await page.request.get(`${base}${route}?user=${user}`)).text();
      for (const s of secrets) assert.ok(!html.includes(s), `${route} contains ${s}`);
      for (const [, src] of html.matchAll(/<script[^>]+src="([^"]+)"/g)) scripts.add(src);
    }
    assert.ok(scripts.size > 0, 'no scripts found');
    for (const src of scripts) {
      const js = await (await page.request.get(new URL(src, base).href)).text();
      for (const s of secrets) assert.ok(!js.includes(s), `${src} contains ${s}`);
    }
  });

  await check(
    'sessions: turns, then the summary and long-term items once the session is promoted',
    async () => {
      await page.goto(`${base}/sessions?user=${user}`);
      await page.getByTestId('sessions').getByRole('link', { name: session }).click();
      await page.getByRole('heading', { name: `Session ${session}` }).waitFor();
      const turns = page.getByTestId('session-turns').locator('li');
      assert.equal(await turns.count(), 4); // two user turns, two replies
      await page.getByTestId('session-turns').getByText('What do I drink?').waitFor();
      // the service promotes a session idle for 5 s: summary and facts appear
      const deadline = Date.now() + PROMOTE_MS;
      while ((await page.getByTestId('summary').innerText()).includes('none yet')) {
        assert.ok(Date.now() < deadline, 'the session was not summarised');
        await page.waitForTimeout(1000);
        await page.reload();
      }
      await shot(page, 'sessions');
      await page.getByLabel('Search memory').fill('green tea');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByTestId('memories').locator('.score').first().waitFor();
      await shot(page, 'memory-search');
    },
  );

  await check('chat: a new session recalls related long-term items with scores', async () => {
    await page.goto(`${base}/?user=${user}&session=later`);
    await say('What tea do I like?');
    const related = page.getByTestId('memory-panel').getByTestId('group-Related long-term');
    assert.ok((await related.locator('.score').count()) >= 1, await related.innerText());
    await shot(page, 'chat-long-term');
  });

  await check('sessions: delete a session, then all memory, each after confirmation', async () => {
    await page.goto(`${base}/sessions?user=${user}&session=${session}`);
    await page.getByRole('button', { name: 'Delete session' }).click();
    await page.getByRole('button', { name: 'Yes, delete session' }).click();
    await page.getByText(`Deleted session ${session}.`).waitFor();
    const sessions = page.getByTestId('sessions');
    await sessions.getByRole('link', { name: 'later' }).waitFor();
    assert.equal(await sessions.getByRole('link', { name: session }).count(), 0);
    await shot(page, 'sessions-deleted');
    await page.getByRole('button', { name: `Delete all memory of ${user}` }).click();
    await page.getByRole('button', { name: `Yes, delete all memory of ${user}` }).click();
    await page.getByText(`Erased everything stored about ${user}.`).waitFor();
    await page.getByTestId('no-sessions').waitFor();
    await page.getByText('Nothing stored yet').waitFor();
  });

  await check('system: every tier shows its backend, and live metrics chart', async () => {
    await page.goto(`${base}/system`);
    const table = page.getByTestId('capabilities');
    await table.waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert.ok(rows.length >= 3, `capabilities: ${rows}`);
    for (const tier of ['short', 'long', 'llm']) {
      assert.ok(
        rows.some((r) => r.toLowerCase().includes(tier)),
        `no ${tier} row in ${rows}`,
      );
    }
    await page.getByTestId('model').waitFor();
    await page.getByTestId('metrics-totals').waitFor();
    // two polls make the first interval: charts get a point
    await page.getByTestId('live-metrics').locator('circle').first().waitFor({ timeout: 20_000 });
    await shot(page, 'system');
  });

  await check('benchmarks: one chart per metric, points name SHA and machine', async () => {
    await page.goto(`${base}/benchmarks`);
    await page.getByRole('heading', { name: 'Benchmarks' }).waitFor();
    const charts = page.getByTestId('chart');
    assert.ok((await charts.count()) > 0, 'no benchmark chart');
    const label = await page.locator('.chart circle title').first().textContent();
    assert.match(label, / on .+ at /);
    await shot(page, 'benchmarks');
  });

  await check('an error of the service shows the error boundary, and Try again', async () => {
    await page.goto(`${base}/sessions?user=${encodeURIComponent('not a valid user!')}`); // the service answers 422
    const alert = page.getByRole('alert');
    await alert.getByText('Something went wrong').waitFor();
    await alert.getByRole('button', { name: 'Try again' }).waitFor();
    await shot(page, 'error');
  });

  await check('phone layout: the chat fits a narrow screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const p = await phone.newPage();
    await p.goto(`${base}/?user=${user}&session=${session}`);
    await p.getByLabel('Message').waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`);
    await p.screenshot({ path: path.join(shots, 'chat-phone.png'), fullPage: true });
    await phone.close();
  });

  assert.deepEqual(consoleErrors, [], 'errors in the page');
  console.log(`e2e: ${results.length} passed; screenshots in ${shots}`);
} catch (err) {
  console.error('e2e FAILED:', err);
  process.exitCode = 1;
} finally {
  await browser.close();
}
