// Real-browser test of the /dashboard example page: the real server binary, a fresh
// database, Debian's chromium driven by puppeteer-core. Usage: node dashboard.test.mjs BINARY
// (tests/browser/run.sh installs the dependency first). Exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';
import { apiGaps, checkMissingView, checkOutlines, checkTemplateLink } from './map-checks.mjs';

const BINARY = process.argv[2];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-test-token';
const TARGET = 'services_share_2017'; // the seeded target with values, so the page has colours to show
const UPDATE_WITHIN_MS = 5000; // "a few seconds": the contract announces a write within about a second
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/artifacts');
const WATCHDOG_MS = 120_000; // the whole run; CI must never hang on a stuck browser

if (!BINARY) { console.error('usage: node dashboard.test.mjs BINARY'); process.exit(2); }

// ------------------------------------------------------------ steps and cleanup
const results = [];
let failed = false;
async function step(name, fn) {
  if (failed) { results.push({ name, skipped: true }); console.log(`skip - ${name}`); return undefined; }
  const t0 = performance.now();
  try {
    const value = await fn();
    console.log(`ok - ${name} (${Math.round(performance.now() - t0)} ms)`);
    results.push({ name, ok: true });
    return value;
  } catch (e) {
    failed = true;
    console.log(`not ok - ${name}\n  ${String(e && e.message ? e.message : e).replaceAll('\n', '\n  ')}`);
    results.push({ name, ok: false });
    return undefined;
  }
}
const check = (cond, msg) => { if (!cond) throw new Error(msg); };

let server = null, browser = null, tmp = null;
const serverLog = []; // the server's last lines, shown when something fails
const pageLog = [];
async function cleanup() {
  if (browser) await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
  browser = null;
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((ok) => server.once('exit', ok));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  console.log(`not ok - the whole test took longer than ${WATCHDOG_MS} ms`);
  await cleanup();
  process.exit(1);
}, WATCHDOG_MS);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { await cleanup(); process.exit(1); });

// ---------------------------------------------------------------- the server
function startServer() {
  tmp = mkdtempSync(path.join(tmpdir(), 'rustbelt-browser-'));
  server = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--db', path.join(tmp, 'test.db')], {
    env: { ...process.env, RUSTBELT_WRITE_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (line) => { serverLog.push(line); if (serverLog.length > 40) serverLog.shift(); };
  readline.createInterface({ input: server.stderr }).on('line', keep);
  const out = readline.createInterface({ input: server.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" line from the server within 30 s')), 30_000);
    server.once('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${BINARY}: ${e.message}`)); });
    server.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`server exited early (code ${code}, signal ${sig})`)); });
    out.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve(m[1]); else reject(new Error(`unexpected first stdout line: ${JSON.stringify(line)}`));
      out.on('line', keep); // keep draining stdout so the server never blocks on a full pipe
    });
  });
}

async function gql(base, query, variables = {}, token = null) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`API answered ${res.status}: ${JSON.stringify(body.errors || body)}`);
  return body.data;
}

// The API's own answer, to compare the page with: every entry, confirmed and candidate.
async function apiEvaluations(base) {
  const q = `query($t: String!, $after: String) { target(code: $t) {
    evaluations(filter: { membership: [CONFIRMED, CANDIDATE] }, first: 500, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { status latestYear latestValue city { adminCode nameEn membership latitude longitude } } } } }`;
  const nodes = [];
  let after = null, page;
  do {
    page = (await gql(base, q, { t: TARGET, after })).target.evaluations;
    nodes.push(...page.nodes);
    after = page.pageInfo.endCursor;
  } while (page.pageInfo.hasNextPage);
  return nodes;
}

// ------------------------------------------------------------------ the test
const requests = []; // every URL the page asked for, HTTP and WebSocket
const foreign = [];
function noteRequest(url) {
  requests.push(url);
  const u = new URL(url);
  if (['data:', 'about:', 'blob:'].includes(u.protocol)) return;
  if (u.hostname !== '127.0.0.1') foreign.push(url);
}
const failedRequests = []; // a 404 for one of the page's own files would leave it half-drawn
const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));

// The chart's labels, as a person reads them: every text in #chart must lie inside the
// drawing and touch no other text (ticks, value labels, the target and baseline labels).
async function chartLabelProblems(page) {
  return page.$eval('#chart', (svg) => {
    const frame = svg.getBoundingClientRect(), problems = [];
    const boxes = [...svg.querySelectorAll('text')].map((t) => [t.textContent.trim(), t.getBoundingClientRect()]);
    for (const [text, r] of boxes) {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1) problems.push(`"${text}" sticks out of the chart`);
    }
    const touch = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    boxes.forEach(([a, ra], i) => boxes.slice(i + 1).forEach(([b, rb]) => { if (touch(ra, rb)) problems.push(`"${a}" overlaps "${b}"`); }));
    return problems;
  });
}
// What the chart must show once a city with values is selected.
async function checkChart(page, points) {
  const c = await page.$eval('#chart', (svg) => ({
    points: svg.querySelectorAll('circle[data-year]').length,
    yearTicks: [...svg.querySelectorAll('text.tick')].filter((t) => /^\d{4}$/.test(t.textContent)).length,
    ticks: svg.querySelectorAll('text.tick').length,
    target: (svg.querySelector('.target-label') || {}).textContent || '', targetLine: !!svg.querySelector('.target-line'),
    baseline: (svg.querySelector('.baseline-label') || {}).textContent || '', baselineLine: !!svg.querySelector('.baseline-line'),
    unit: (svg.querySelector('.unit') || {}).textContent || '',
    legend: !document.querySelector('#chart-legend').hidden && document.querySelector('#chart-legend').textContent,
  }));
  check(c.points === points, `the chart has ${c.points} points, want ${points}`);
  check(c.yearTicks >= 2 && c.ticks - c.yearTicks >= 3, `too few ticks: ${c.yearTicks} years, ${c.ticks - c.yearTicks} values`);
  check(c.targetLine && /^target \S+ *by \d{4}$/.test(c.target), `target line or its label missing: ${JSON.stringify(c.target)}`);
  check(c.baselineLine && /^baseline \S+ *in \d{4}$/.test(c.baseline), `baseline line or its label missing: ${JSON.stringify(c.baseline)}`);
  check(c.unit.includes('% of GDP'), `the value axis does not name its unit: ${JSON.stringify(c.unit)}`);
  check(c.legend && ['published', 'derived', 'target', 'baseline'].every((w) => c.legend.includes(w)), `chart legend: ${JSON.stringify(c.legend)}`);
  const problems = await chartLabelProblems(page);
  check(!problems.length, `chart labels: ${problems.join('; ')}`);
}

// A new tab whose every request, failure and console error is recorded.
async function watchedPage() {
  const p = await browser.newPage();
  await p.setViewport({ width: 1400, height: 1000 });
  p.on('request', (r) => noteRequest(r.url()));
  p.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => pageLog.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => failedRequests.push(`${r.url()} (${r.failure() && r.failure().errorText})`));
  p.on('response', (r) => { if (r.status() >= 400) failedRequests.push(`${r.url()} (HTTP ${r.status()})`); });
  const cdp = await p.createCDPSession(); // WebSockets do not pass through page.on('request')
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', (e) => noteRequest(e.url));
  return p;
}

async function main() {
  const base = await step('server starts on a fresh database and prints its address', startServer);
  const api = await step('the API answers over HTTP (counts and evaluations)', async () => {
    const plan = (await gql(base, '{ plan { declaredCityCount confirmedCityCount candidateCityCount } }')).plan;
    const evaluations = await apiEvaluations(base);
    check(evaluations.length > 0, `target ${TARGET} has no evaluations`);
    return { plan, evaluations };
  });
  const page = await step('chromium opens /dashboard', async () => {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM, headless: true,
      // --no-sandbox: CI runs as root. The resolver rule makes any other host fail fast;
      // the request log below still records (and fails on) every attempt.
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    });
    const p = await watchedPage();
    const res = await p.goto(`${base}/dashboard#target=${TARGET}`, { waitUntil: 'load' });
    check(res && res.ok(), `GET /dashboard answered ${res && res.status()}`);
    return p;
  });

  await step('coverage is shown as the API counts it', async () => {
    const { declaredCityCount: d, confirmedCityCount: c, candidateCityCount: k } = api.plan;
    const want = `${c} of ${d} entries confirmed · ${k} candidates`;
    await page.waitForFunction((w) => document.querySelector('#coverage').textContent.startsWith(w), { timeout: 5000 }, want)
      .catch(async () => { throw new Error(`#coverage shows ${JSON.stringify(await texts(page, '#coverage'))}, want "${want}…"`); });
    // At the top, where a reader sees it before any number it qualifies.
    const box = await page.$eval('#coverage', (e) => { const r = e.getBoundingClientRect(); return { top: r.top, w: r.width, h: r.height }; });
    check(box.w > 0 && box.h > 0 && box.top < 150, `#coverage is not visible at the top of the page: ${JSON.stringify(box)}`);
  });

  await step('table: one row per entry the API lists, with its status', async () => {
    const want = api.evaluations.map((e) => e.city.adminCode);
    await page.waitForFunction((n) => document.querySelectorAll('#table tbody tr[data-code]').length === n, { timeout: 5000 }, want.length)
      .catch(() => {});
    const rows = await page.$$eval('#table tbody tr[data-code]', (trs) => trs.map((tr) => [tr.dataset.code, tr.dataset.status]));
    check(sameSet(rows.map((r) => r[0]), want), `table has ${rows.length} rows, the API lists ${want.length} entries`);
    const status = new Map(api.evaluations.map((e) => [e.city.adminCode, e.status]));
    const wrong = rows.filter(([code, st]) => status.get(code) !== st);
    check(!wrong.length, `rows whose status differs from the API: ${JSON.stringify(wrong.slice(0, 5))}`);
  });

  await step('confirmed and candidate entries are told apart (table column, filled vs hollow points, legend)', async () => {
    const membership = new Map(api.evaluations.map((e) => [e.city.adminCode, e.city.membership]));
    check(new Set(membership.values()).size === 2, 'the API lists no candidate (or no confirmed) entry to tell apart');
    const cells = await page.$$eval('#table tbody tr[data-code]', (trs) => trs.map((tr) => [tr.dataset.code, tr.querySelector('.membership').textContent]));
    const badCells = cells.filter(([code, text]) => text !== membership.get(code).toLowerCase());
    check(!badCells.length, `membership column differs from the API: ${JSON.stringify(badCells.slice(0, 5))}`);
    const points = await page.$$eval('#map circle[data-code]', (cs) => cs.map((c) => [c.dataset.code, c.getAttribute('fill'), c.getAttribute('stroke')]));
    const badPoints = points.filter(([code, fill, stroke]) => (membership.get(code) === 'CANDIDATE') !== (fill === '#fff' && stroke !== '#fff'));
    check(!badPoints.length, `points not hollow exactly for candidates: ${JSON.stringify(badPoints.slice(0, 5))}`);
    const legend = (await texts(page, '#legend li, #legend-entry li')).join(' | ');
    for (const word of ['Achieved', 'Insufficient data', 'confirmed', 'candidate']) check(legend.includes(word), `the legend lacks "${word}": ${legend}`);
  });

  await step('map: one point per entry with coordinates', async () => {
    const want = api.evaluations.filter((e) => e.city.latitude !== null && e.city.longitude !== null).map((e) => e.city.adminCode);
    const got = await page.$$eval('#map circle[data-code]', (cs) => cs.map((c) => c.dataset.code));
    check(sameSet(got, want), `map has ${got.length} points, the API has ${want.length} entries with coordinates`);
    const titled = await page.$$eval('#map circle[data-code] > title', (ts) => ts.filter((t) => t.textContent.trim()).length);
    check(titled === got.length, `only ${titled} of ${got.length} points have a <title>`);
  });

  await step('map: every province outline is drawn, and each point lies inside its own province', async () => {
    const seen = await checkOutlines(page, base);
    console.log(`  ${seen.outlines} outlines drawn, ${seen.inView} of them in view`);
  });

  await step('live indicator reaches "connected"', async () => {
    await page.waitForSelector('#live-status[data-state="connected"]', { timeout: 10_000 }).catch(async () => {
      throw new Error(`#live-status is ${JSON.stringify(await page.$eval('#live-status', (e) => [e.dataset.state, e.textContent]))}`);
    });
  });

  // A confirmed city with no value yet: a new value shows as a new latest year and value.
  const city = api ? api.evaluations.find((e) => e.latestValue === null && e.city.membership === 'CONFIRMED' && e.city.latitude !== null) : null;
  await step('clicking a row opens that city\'s chart', async () => {
    check(city, `no confirmed city without a value for ${TARGET} to change`);
    await page.click(`#table tbody tr[data-code="${city.city.adminCode}"]`);
    await page.waitForFunction((n) => document.querySelector('#chart-heading').textContent.includes(n) &&
      !document.querySelector('#chart').hidden, { timeout: 5000 }, city.city.nameEn);
  });

  await step('a recorded observation appears without a reload', async () => {
    const code = city.city.adminCode, year = 2016, value = 38.25;
    await page.evaluate(() => { window.__sameDocument = true; }); // a reload would drop this
    const t0 = performance.now();
    const recorded = await gql(base, `mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id year value } }`,
      { i: [{ subjectCode: code, indicatorCode: 'services_share_gdp', year, value, source: 'rustbelt tests/browser/dashboard.test.mjs', sourceGrade: 'SECONDARY' }] }, TOKEN);
    check(recorded.recordObservations.length === 1, `the mutation recorded ${recorded.recordObservations.length} observations`);
    const shown = await page.waitForFunction((c, y, v) => {
      const tr = document.querySelector(`#table tbody tr[data-code="${c}"]`);
      return tr && tr.querySelector('.latest-year').textContent === String(y) && tr.querySelector('.latest-value').textContent === v &&
        document.querySelector(`#chart circle[data-year="${y}"]`) && /^version \d+: 1 observation recorded by API/.test(document.querySelector('#last-event').textContent);
    }, { timeout: UPDATE_WITHIN_MS, polling: 'mutation' }, code, year, '38.25').then(() => true, () => false);
    const ms = Math.round(performance.now() - t0);
    if (!shown) {
      const row = await texts(page, `#table tbody tr[data-code="${code}"]`);
      throw new Error(`after ${UPDATE_WITHIN_MS} ms the page still shows row ${JSON.stringify(row)}, ` +
        `event line ${JSON.stringify(await texts(page, '#last-event'))}`);
    }
    check(await page.evaluate(() => window.__sameDocument === true), 'the page reloaded');
    console.log(`  the page showed ${code}'s new value ${ms} ms after the mutation was sent`);
    // What the page now says about the city is what the API says.
    const now = (await apiEvaluations(base)).find((e) => e.city.adminCode === code);
    const st = await page.$eval(`#table tbody tr[data-code="${code}"]`, (tr) => tr.dataset.status);
    check(st === now.status, `row status ${st}, API status ${now.status}`);
  });

  // Two more values (one in the plan's baseline year) give the chart a line, a baseline and
  // several value labels: the layout a reader actually sees.
  await step('the chart names its axes, target and baseline, and no label overlaps another', async () => {
    const code = city.city.adminCode;
    await gql(base, `mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }`, { i: [
      { subjectCode: code, indicatorCode: 'services_share_gdp', year: 2012, value: 36.4, source: 'rustbelt tests/browser/dashboard.test.mjs', sourceGrade: 'SECONDARY' },
      { subjectCode: code, indicatorCode: 'services_share_gdp', year: 2014, value: 37.1, source: 'rustbelt tests/browser/dashboard.test.mjs', sourceGrade: 'SECONDARY' }] }, TOKEN);
    const status = (await apiEvaluations(base)).find((e) => e.city.adminCode === code).status;
    // The table, the map and the chart are re-asked in parallel: wait for all three.
    await page.waitForFunction((c, st) => document.querySelectorAll('#chart circle[data-year]').length === 3 &&
      document.querySelector(`#table tbody tr[data-code="${c}"]`).dataset.status === st &&
      document.querySelector(`#map circle[data-code="${c}"]`).dataset.status === st, { timeout: UPDATE_WITHIN_MS }, code, status)
      .catch(async () => { throw new Error(`the page did not show 3 values and status ${status} for ${code}: row ${JSON.stringify(await texts(page, `#table tbody tr[data-code="${code}"]`))}`); });
    await checkChart(page, 3);
  });

  await step('screenshot written to target/artifacts/dashboard.png', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  await step('"what is missing": each point coloured by what it lacks, as Target.gaps says (after the writes); dashboard-missing.png', async () => {
    const gaps = await apiGaps(gql, base, TARGET);
    check(!gaps.has(city.city.adminCode), `${city.city.nameEn} still lacks a value after three were recorded`);
    const seen = await checkMissingView(page, gaps);
    console.log(`  ${seen.lacking} of ${seen.points} points lack a value for ${TARGET}`);
    await checkTemplateLink(page, base, TARGET);
    check(new URLSearchParams(await page.evaluate(() => location.hash.slice(1))).get('map') === 'missing', 'the URL does not keep the view');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-missing.png'), fullPage: true });
    await page.select('#map-shows', 'status');
  });

  await step('at 800 px wide nothing spills sideways and the chart still reads; dashboard-800.png', async () => {
    await page.setViewport({ width: 800, height: 1000 });
    await page.waitForFunction(() => { // the chart is redrawn at its new width
      const svg = document.querySelector('#chart');
      return Math.abs(svg.viewBox.baseVal.width - svg.getBoundingClientRect().width) < 2;
    }, { timeout: 5000 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 800, `the page is ${wide} px wide in an 800 px window`);
    await checkChart(page, 3);
    const cov = await page.$eval('#coverage', (e) => e.getBoundingClientRect().top);
    check(cov < 150, `#coverage is ${cov} px down at 800 px wide`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-800.png'), fullPage: true });
  });

  await step('GraphiQL: the live tab subscribes over the socket and shows a write; graphiql-live.png', async () => {
    const g = await watchedPage();
    await g.goto(`${base}/`, { waitUntil: 'load' });
    const tab = 'ServicesShareRecorded';
    await g.waitForFunction((t) => [...document.querySelectorAll('.graphiql-tab')].some((e) => e.textContent.includes(t)),
      { timeout: 10_000 }, tab).catch(() => { throw new Error(`no GraphiQL tab named ${tab}`); });
    await g.evaluate((t) => [...document.querySelectorAll('.graphiql-tab')].find((e) => e.textContent.includes(t))
      .querySelector('button').click(), tab);
    // Run only once GraphiQL has switched: the tab active and its document in the editor
    // (run earlier, it sends the old tab's operation name with the new document).
    await g.waitForFunction((t) => {
      const active = document.querySelector('.graphiql-tab-active');
      const editor = document.querySelector('.graphiql-query-editor');
      return active && active.textContent.includes(t) && editor && editor.textContent.includes(`subscription ${t}`);
    }, { timeout: 5000 }, tab);
    await new Promise((settled) => setTimeout(settled, 300)); // its operation name follows the editor
    await g.click('.graphiql-execute-button');
    // The subscription is live a moment after it starts: write until the result pane shows one.
    const result = () => g.$eval('.result-window', (e) => e.textContent);
    let shown = false;
    for (let i = 0; i < 5 && !shown; i++) {
      // Sent before GraphiQL caught up with the tab, the run is refused: run it again.
      if ((await result()).includes('Unknown operation named')) await g.click('.graphiql-execute-button');
      const value = 39.5 + i;
      await gql(base, `mutation($i: [ObservationInput!]!) { recordObservations(input: $i) { id } }`,
        { i: [{ subjectCode: '340300', indicatorCode: 'services_share_gdp', year: 2014, value, source: 'rustbelt tests/browser (GraphiQL)', sourceGrade: 'SECONDARY' }] }, TOKEN);
      shown = await g.waitForFunction((v) => {
        const text = document.querySelector('.result-window').textContent;
        return text.includes('"recordedBy": "API"') && text.includes(`"value": ${v}`);
      }, { timeout: 1000 }, value).then(() => true, () => false);
    }
    if (!shown) throw new Error(`the result pane shows ${JSON.stringify((await result()).slice(0, 300))}`);
    await g.screenshot({ path: path.join(ARTIFACTS, 'graphiql-live.png') });
    await g.close();
  });

  await step('every request went to 127.0.0.1 and succeeded; no error shown or logged', async () => {
    check(!foreign.length, `requests to other hosts: ${foreign.join(', ')}`);
    check(requests.some((u) => u.startsWith('ws://127.0.0.1')), `no WebSocket to 127.0.0.1 among ${requests.join(', ')}`);
    check(!failedRequests.length, `failed requests: ${failedRequests.join(', ')}`);
    const errors = pageLog.filter((l) => l.startsWith('page error') || l.startsWith('console.error'));
    check(!errors.length, errors.join('\n'));
    const shown = await page.$eval('#error', (e) => (e.hidden ? '' : e.textContent));
    check(!shown, `the page shows an error: ${shown}`);
    const live = await page.$eval('#live-status', (e) => e.dataset.state);
    check(live === 'connected', `the live indicator ended as ${live}`);
  });
}

try {
  await main();
} catch (e) { // a bug in the test itself
  failed = true;
  results.push({ name: 'test harness', ok: false });
  console.log(`not ok - test harness: ${e.stack || e}`);
}
clearTimeout(watchdog);
if (failed) {
  if (pageLog.length) console.log(`page log:\n  ${pageLog.slice(-20).join('\n  ')}`);
  if (serverLog.length) console.log(`server log (last lines):\n  ${serverLog.join('\n  ')}`);
}
await cleanup();
const n = (f) => results.filter(f).length;
console.log(`dashboard: ${n((r) => r.ok)} passed, ${n((r) => r.ok === false)} failed, ${n((r) => r.skipped)} skipped`);
process.exit(failed ? 1 : 0);
