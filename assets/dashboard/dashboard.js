// rustbelt live dashboard: an example of using the public GraphQL API from a plain page.
// No framework and no build step: read it top to bottom. Sections:
//   1. talking to the API (HTTP POST for queries, graphql-ws for the live feed)
//   2. the GraphQL operations the page sends (README.md lists them)
//   3. state and loading   4. drawing: header, filters, table (the map: map.js, the chart: chart.js)
//   5. live updates
'use strict';

// ---------------------------------------------------------------- 1. the API
// Same origin only: the page works wherever the server is mounted, with no CORS.
const HTTP_URL = '/graphql';
const WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';

// Every operation here is named, and the name is sent as `operationName` too. It is optional
// for a one-operation document, but it labels the request in server logs, and some servers
// need it to see that a named document is a subscription.
const opName = (doc) => /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(doc)[1];

// One GraphQL request over HTTP. A GraphQL error comes back with HTTP 200 and an
// `errors` array, so check both the status and the body.
async function gql(query, variables = {}) {
  const res = await fetch(HTTP_URL, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables, operationName: opName(query) }) });
  const body = await res.json().catch(() => null);
  if (res.ok && body && !body.errors) return body.data;
  throw new Error(body && body.errors ? body.errors.map((e) => e.message).join('; ') : `HTTP ${res.status}`);
}

// ------------------------------------------------------ 2. the operations
const START = `query DashboardStart {
  plan {
    declaredCityCount confirmedCityCount candidateCityCount unknownCityCount
    targets { nodes { code nameEn kind unit targetValue targetChange baselineYear targetYear
                      indicator { code nameEn unit } } }
  }
  provinces(first: 100) { nodes { code nameEn nameZh } }
}`;

// One page of a target's evaluations. `statusCounts` ignores the status filter (so the
// status menu always offers every status); `facets` count the list under the whole filter.
const EVALUATIONS = `query Evaluations($target: String!, $filter: CityEvaluationFilter, $after: String) {
  target(code: $target) {
    evaluations(filter: $filter, first: 500, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      statusCounts { status count }
      facets { province { value count } membership { value count } }
      nodes {
        subjectKind status reason latestYear latestValue derived
        city { adminCode nameEn nameZh membership latitude longitude province { code nameEn } }
      }
    }
  }
}`;

// What each entry without a verdict lacks for the target: the values (indicator, year, role)
// that would settle it, and how many entries one value each would settle.
const GAPS = `query Gaps($target: String!, $filter: GapFilter) {
  target(code: $target) {
    gaps(filter: $filter) {
      entries { city { adminCode } missing { indicatorCode indicator { nameEn } year role inputOf settles } }
      missingValues { indicatorCode indicator { nameEn } year lackedBy wouldSettle }
    }
  }
}`;

// What the chart needs; the same fields for a city and for the plan area as a whole.
const SERIES_FIELDS = `fragment SeriesFields on TargetEvaluation {
  target { code } status reason evaluationYear
  baselineYear baselineValue baselineSubstituted targetLevel
  series { year value derived }
}`;
const CITY_SERIES = `query CitySeries($code: String!) {
  city(code: $code) { adminCode nameEn nameZh membership evaluation { ...SeriesFields } }
}
${SERIES_FIELDS}`;
const PLAN_SERIES = `query PlanSeries { plan { evaluation { ...SeriesFields } } }
${SERIES_FIELDS}`;

// No filter: any write may change what is shown (a services share can be derived from
// two other indicators), so the page hears every write and re-asks what it shows.
const LIVE = `subscription Live {
  observationsRecorded { version recordedBy count observations { city { adminCode nameEn } } }
}`;

// ------------------------------------------------------- 3. state and loading
// EvaluationStatus in the API's order, best first. Colours tell them apart; the label (the
// enum's name in words: ON_TRACK → "On track") says it, so colour is never needed alone.
const STATUS = {
  ACHIEVED: '#1a9850', ON_TRACK: '#66bd63', MODERATE_PROGRESS: '#e6b400', INSUFFICIENT_PROGRESS: '#f46d43',
  MOVING_AWAY: '#b2182b', NOT_ACHIEVED: '#762a83', INSUFFICIENT_DATA: '#8c8c8c',
};
const REASON = {
  NO_OBSERVATIONS: 'no observations', SINGLE_OBSERVATION: 'only one year observed',
  BASELINE_MISSING: 'no baseline-year value', NON_POSITIVE_BASELINE: 'baseline not positive',
  EVALUATION_BEFORE_BASELINE: 'evaluated before the baseline year',
};
const PLAN_CODE = 'PLAN'; // data-code of the one row a plan-wide (CUMULATIVE) target has
const DEFAULT_TARGET = 'services_share_2017'; // the target the seed has most values for

const state = {
  targets: [], provinces: new Map(), target: null, selected: null, mapShows: 'status',
  filter: { status: '', province: '', membership: '' }, rows: [], changed: new Set(),
  gaps: new Map(), gapCounts: [], planGap: null, // Target.gaps by entry code, its counts, the plan area's
};
const $ = (sel) => document.querySelector(sel);
const fmt = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const num = (v) => (v === null || v === undefined ? '—' : fmt.format(v)); // a gap stays a gap
const statusLabel = (st) => st[0] + st.slice(1).toLowerCase().replaceAll('_', ' ');
const statusColor = (st) => STATUS[st] || '#000'; // black: a status newer than this page
// The status, and for INSUFFICIENT_DATA why: "Insufficient data (no observations)".
const statusText = (e) => statusLabel(e.status) + (e.status === 'INSUFFICIENT_DATA' && e.reason ? ` (${REASON[e.reason] || e.reason})` : '');
const codeOf = (row) => (row.city ? row.city.adminCode : PLAN_CODE);

// Each loader remembers a sequence number, so a slow old answer never overwrites a newer one.
let evalSeq = 0, chartSeq = 0;

async function loadStart() {
  const data = await gql(START);
  const p = data.plan;
  $('#coverage').textContent = `${p.confirmedCityCount} of ${p.declaredCityCount} entries confirmed · ` +
    `${p.candidateCityCount} candidates · ${p.unknownCityCount} not known`;
  state.targets = p.targets.nodes;
  for (const pr of data.provinces.nodes) state.provinces.set(pr.code, pr);
  const wanted = new URLSearchParams(location.hash.slice(1));
  const codes = state.targets.map((t) => t.code);
  const code = [wanted.get('target'), DEFAULT_TARGET, codes[0]].find((c) => codes.includes(c));
  state.target = state.targets.find((t) => t.code === code);
  state.selected = wanted.get('city');
  state.mapShows = wanted.get('map') === 'missing' ? 'missing' : 'status';
  $('#map-shows').value = state.mapShows;
  const sel = $('#target');
  sel.replaceChildren(...state.targets.map((t) => h('option', { value: t.code }, t.nameEn)));
  sel.value = code;
}

const memberships = () => (state.filter.membership ? [state.filter.membership] : ['CONFIRMED', 'CANDIDATE']); // the API's default: CONFIRMED
const membershipParam = () => memberships().join(',');

async function loadEvaluations() {
  const seq = ++evalSeq;
  const f = state.filter;
  const filter = { membership: memberships(), ...(f.status && { status: [f.status] }), ...(f.province && { provinceCode: f.province }) };
  const gapFilter = { membership: memberships(), ...(f.province && { provinceCode: f.province }) };
  const gaps = gql(GAPS, { target: state.target.code, filter: gapFilter }); // asked beside the pages, drawn with them
  const rows = [];
  let after = null, conn;
  do { // page through: the server caps a page (500 by default) and never cuts silently
    const data = await gql(EVALUATIONS, { target: state.target.code, filter, after });
    conn = data.target.evaluations;
    rows.push(...conn.nodes);
    after = conn.pageInfo.endCursor;
  } while (conn.pageInfo.hasNextPage);
  const lacking = (await gaps).target.gaps;
  if (seq !== evalSeq) return;
  state.rows = rows;
  state.gaps = new Map(lacking.entries.filter((e) => e.city).map((e) => [e.city.adminCode, e]));
  state.planGap = lacking.entries.find((e) => !e.city) || null;
  state.gapCounts = lacking.missingValues;
  drawFilters(conn);
  drawTable(rows, conn.totalCount);
  drawMap(rows);
}

async function loadChart() {
  const seq = ++chartSeq;
  const code = state.selected;
  if (!code) return drawChart(null);
  const data = code === PLAN_CODE ? await gql(PLAN_SERIES) : await gql(CITY_SERIES, { code });
  if (seq !== chartSeq) return;
  const owner = code === PLAN_CODE ? { nameEn: 'Plan area as a whole', nameZh: '' } : data.city;
  const list = code === PLAN_CODE ? data.plan.evaluation : (data.city ? data.city.evaluation : []);
  const ev = list.find((e) => e.target && e.target.code === state.target.code);
  drawChart(owner && ev ? { owner, ev } : null);
}

// Shows an error instead of throwing it away; the next good answer hides it.
const guard = (p) => p.then(() => { $('#error').hidden = true; }, (e) => {
  $('#error').textContent = `Could not load from the API: ${e.message}`;
  $('#error').hidden = false;
});
const saveHash = () => history.replaceState(null, '', '#' + new URLSearchParams({ target: state.target.code,
  ...(state.selected && { city: state.selected }), ...(state.mapShows === 'missing' && { map: 'missing' }) }));

function select(code) {
  state.selected = code;
  saveHash();
  for (const n of document.querySelectorAll('#table [data-code]')) n.classList.toggle('selected', n.dataset.code === code);
  drawMap(state.rows);
  guard(loadChart());
}

// --------------------------------------------------------------- 4. drawing
// Elements are built with textContent, never innerHTML, so no name can inject markup.
function make(ns, tag, attrs, children) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}
const h = (tag, attrs, ...kids) => make(null, tag, attrs, kids);
const s = (tag, attrs, ...kids) => make('http://www.w3.org/2000/svg', tag, attrs, kids); // a namespace, never fetched
const onActivate = (code) => ({ // click, Enter or Space: points and rows work from the keyboard too
  tabindex: 0, onclick: () => select(code),
  onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(code); } },
});

function drawTargetInfo() {
  const t = state.target;
  const goal = t.kind === 'CHANGE_FROM_BASELINE' ? `a change of ${fmt.format(t.targetChange * 100)} % on ${t.baselineYear}`
    : `${num(t.targetValue)} ${t.unit}${t.kind === 'CUMULATIVE' ? ' in total' : ''}`;
  $('#target-info').textContent = `Goal: ${goal} by ${t.targetYear} · measured by ${t.indicator.nameEn} (${t.indicator.unit})`;
  $('#table thead th:nth-child(7)').textContent = `Latest value (${t.indicator.unit})`;
}

// The menus offer what the API's facets count; the chosen value stays offered even at 0.
function drawFilters(conn) {
  const fill = (id, key, all, entries, label) => {
    const chosen = state.filter[key];
    if (chosen && !entries.some((e) => e.value === chosen)) entries.push({ value: chosen, count: 0 });
    $(id).replaceChildren(h('option', { value: '' }, all),
      ...entries.map((e) => h('option', { value: e.value }, `${label(e.value)} (${e.count})`)));
    $(id).value = chosen;
  };
  fill('#filter-status', 'status', 'all statuses',
    conn.statusCounts.map((c) => ({ value: c.status, count: c.count })), statusLabel);
  fill('#filter-province', 'province', 'all provinces', conn.facets.province.filter((e) => e.value),
    (v) => (state.provinces.get(v) || { nameEn: v }).nameEn);
  fill('#filter-membership', 'membership', 'confirmed and candidates', conn.facets.membership.filter((e) => e.value),
    (v) => v.toLowerCase());
}

function statusCell(row) {
  return h('td', { class: 'status' }, swatch(row.status, row.city ? row.city.membership : 'CONFIRMED'),
    statusText(row));
}
function swatch(status, membership) { // the same mark as on the map: filled or hollow
  const c = statusColor(status), hollow = membership === 'CANDIDATE';
  return s('svg', { class: 'swatch', width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true' },
    s('circle', { cx: 7, cy: 7, r: 5, fill: hollow ? '#fff' : c, stroke: c, 'stroke-width': 2 }));
}

// What the row needs for a verdict, in words: one value that alone would give it, or every
// year it lacks (the map's "what is missing" view shows the same by colour, with the details).
function lacksText(r) {
  const gap = r.city ? state.gaps.get(r.city.adminCode) : state.planGap;
  if (!gap) return '';
  const lack = lackOf(gap);
  return lack.settling.length ? `a ${lack.settling.join(' or ')} value` : `${lack.years.join(' and ')} values`;
}

function drawTable(rows, total) {
  const body = rows.map((r) => {
    const c = r.city, code = codeOf(r);
    const cls = [c && c.membership === 'CANDIDATE' && 'candidate', state.changed.has(code) && 'changed',
      state.selected === code && 'selected'].filter(Boolean).join(' ');
    return h('tr', { 'data-code': code, 'data-status': r.status, 'data-membership': c ? c.membership : null,
      class: cls || null, ...onActivate(code) },
    h('th', { scope: 'row' }, c ? c.nameEn : 'Plan area as a whole'), h('td', { lang: 'zh' }, c ? c.nameZh : ''),
    h('td', {}, c ? c.province.nameEn : '—'), h('td', { class: 'membership' }, c ? c.membership.toLowerCase() : 'plan-wide'),
    statusCell(r), h('td', { class: 'num latest-year' }, r.latestYear === null ? '—' : String(r.latestYear)),
    h('td', { class: 'num latest-value' }, num(r.latestValue)), h('td', { class: 'derived' }, r.derived ? 'derived' : ''),
    h('td', { class: 'lacks' }, lacksText(r)));
  });
  $('#table tbody').replaceChildren(...body);
  const cand = rows.filter((r) => r.city && r.city.membership === 'CANDIDATE').length;
  $('#row-count').textContent = rows.some((r) => !r.city) ? `${total} listed: the plan area as a whole`
    : `${total} listed: ${rows.length - cand} confirmed, ${cand} candidates`;
}

function drawLegend() { // colours come from STATUS, so the legend and the marks cannot disagree
  $('#legend').replaceChildren(h('li', { class: 'legend-head' }, 'Status'),
    ...Object.keys(STATUS).map((st) => h('li', {}, swatch(st, 'CONFIRMED'), statusLabel(st))));
}

// ----------------------------------------------------------- 5. live updates
const setLive = (name, text) => { const el = $('#live-status'); el.dataset.state = name; el.textContent = text; };

// Bursts of writes are folded: at most one refresh runs, and at most one more is queued.
let running = false, queued = false;
async function refresh() {
  if (running) { queued = true; return; }
  running = true;
  try { do { queued = false; await guard(Promise.all([loadEvaluations(), loadChart()])); } while (queued); }
  finally { running = false; }
}

function onEvent({ data, errors }) {
  if (errors) return setLive('error', `live feed error: ${errors.map((e) => e.message).join('; ')}`);
  const ev = data.observationsRecorded;
  const cities = [...new Set(ev.observations.filter((o) => o.city).map((o) => o.city.nameEn))];
  const where = cities.length ? ` for ${cities.slice(0, 3).join(', ')}${cities.length > 3 ? ', …' : ''}` : '';
  $('#last-event').textContent = `version ${ev.version}: ${ev.count} observation${ev.count === 1 ? '' : 's'} ` +
    `recorded by ${ev.recordedBy}${where} · ${new Date().toLocaleTimeString('en-GB')}`;
  const changed = new Set(ev.observations.filter((o) => o.city).map((o) => o.city.adminCode));
  state.changed = changed;
  setTimeout(() => changed.clear(), 4000); // flash once, not on every later redraw
  refresh();
}

function startLive() {
  const client = graphqlWs.createClient({
    url: WS_URL,
    lazy: false, // connect at once, so the indicator tells the truth before any event
    retryAttempts: Infinity, // a dashboard left open should come back after a server restart
    shouldRetry: () => true,
    retryWait: (n) => new Promise((ok) => setTimeout(ok, Math.min(500 * 2 ** n, 15000))),
    onNonLazyError: (e) => setLive('offline', `offline (${e && e.code ? 'closed ' + e.code : 'error'})`),
    on: {
      connecting: (isRetry) => setLive(isRetry ? 'reconnecting' : 'connecting', isRetry ? 'reconnecting…' : 'connecting…'),
      // Writes made before the subscription was up (at first, or while the socket was down)
      // were never announced: re-ask what is shown. Before the first load there is nothing to.
      connected: () => { setLive('connected', 'live'); if (state.target) refresh(); },
      closed: () => setLive('reconnecting', 'reconnecting…'),
    },
  });
  client.subscribe({ query: LIVE, operationName: opName(LIVE) }, {
    next: onEvent,
    error: (e) => setLive('offline', `offline: ${e && e.message ? e.message : 'the live feed ended'}`),
    complete: () => setLive('offline', 'offline: the server ended the live feed'),
  });
}

// ------------------------------------------------------------------- start
async function main() {
  drawLegend();
  watchChartWidth();
  startLive(); // subscribe first, then query, so no write falls between the two
  const drawn = loadOutlines().then(() => drawMap(state.rows)); // the map works without them meanwhile
  await loadStart();
  drawTargetInfo();
  $('#target').addEventListener('change', (e) => {
    state.target = state.targets.find((t) => t.code === e.target.value);
    state.filter.status = ''; // statuses differ per target; province and membership carry over
    drawTargetInfo(); saveHash(); refresh();
  });
  $('#map-shows').addEventListener('change', (e) => { state.mapShows = e.target.value; saveHash(); drawMap(state.rows); });
  for (const key of ['status', 'province', 'membership']) {
    $(`#filter-${key}`).addEventListener('change', (e) => { state.filter[key] = e.target.value; guard(loadEvaluations()); });
  }
  await refresh();
  await drawn;
}
guard(main());
