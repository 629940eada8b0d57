// rustbelt live dashboard: the map (drawMap), split from dashboard.js to keep each file
// readable. Loaded before it; it uses dashboard.js's helpers ($, s, h, state, statusColor,
// statusLabel, onActivate) only when called, by which time they exist.
//   - Province outlines from /dashboard/provinces.geojson (assets/boundaries/VERSIONS.md).
//   - One point per entry with coordinates: filled for a confirmed entry, hollow for a candidate.
//   - Its colour says either the status, or (the "what is missing" view) what the entry lacks
//     for the chosen target, from the API's Target.gaps.
'use strict';

const MAP_W = 600, MAP_H = 420, MAP_PAD = 24;
// One colour per kind of lack, most common first; entries with a verdict are drawn pale.
const LACK_COLORS = ['#2166ac', '#b35806', '#1b7837', '#762a83', '#c51b7d', '#01665e', '#8c510a', '#4d4d4d'];
const HAS_VERDICT = '#c8cdd2';

let outlines = null; // the FeatureCollection, fetched once: it never changes while the page is open
async function loadOutlines() {
  const res = await fetch('/dashboard/provinces.geojson');
  if (!res.ok) throw new Error(`province outlines: HTTP ${res.status}`);
  outlines = await res.json();
}

// What an entry lacks for the target, from its Target.gaps entry: the years with a missing
// value (each with its role), the values that alone would give a verdict, and the key that
// groups entries lacking the same thing.
const ROLE = { BASELINE: 'baseline', FALLBACK_BASELINE: 'stand-in baseline', INTERIM: 'later year', LATEST: 'target year' };
function lackOf(gap) {
  const years = [...new Set(gap.missing.map((m) => m.year))].sort();
  const settling = [...new Set(gap.missing.filter((m) => m.settles).map((m) => m.year))].sort();
  const byYear = years.map((yr) => {
    const here = gap.missing.filter((m) => m.year === yr);
    const own = here.filter((m) => !m.inputOf).map((m) => indicatorName(m));
    const inputs = here.filter((m) => m.inputOf).map((m) => indicatorName(m));
    const what = [own.join(', '), inputs.length ? `${inputs.join(' and ')} to derive it` : ''].filter(Boolean).join(', or ');
    return `${yr} (${ROLE[here[0].role] || here[0].role.toLowerCase()}): ${what}`;
  });
  const label = `lacks ${years.join(' and ')}` + (settling.length
    ? `: a ${settling.join(' or ')} value alone gives a verdict` : ': needs all of them for a verdict');
  return { key: label, label, years, settling, detail: byYear.join('; ') };
}
const indicatorName = (m) => (m.indicator ? m.indicator.nameEn : m.indicatorCode);

// The kinds of lack among the rows shown, most common first, each with its colour and count.
function lackKinds(rows, gaps) {
  const counts = new Map();
  for (const r of rows) {
    const g = r.city && gaps.get(r.city.adminCode);
    if (g) counts.set(lackOf(g).key, (counts.get(lackOf(g).key) || 0) + 1);
  }
  const kinds = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return new Map(kinds.map(([key, count], i) => [key, { count, color: LACK_COLORS[Math.min(i, LACK_COLORS.length - 1)] }]));
}

// Equirectangular projection fitted to the points: x = longitude × cos(mid-latitude), y = −latitude.
function projection(placed) {
  const lats = placed.map((r) => r.city.latitude), lons = placed.map((r) => r.city.longitude);
  const [la0, la1, lo0, lo1] = [Math.min(...lats) - 1, Math.max(...lats) + 1, Math.min(...lons) - 1, Math.max(...lons) + 1];
  const k = Math.cos(((la0 + la1) / 2) * Math.PI / 180);
  const scale = Math.min((MAP_W - 2 * MAP_PAD) / ((lo1 - lo0) * k), (MAP_H - 2 * MAP_PAD) / (la1 - la0));
  const dx = (MAP_W - 2 * MAP_PAD - (lo1 - lo0) * k * scale) / 2, dy = (MAP_H - 2 * MAP_PAD - (la1 - la0) * scale) / 2; // centre it
  return { x: (lon) => MAP_PAD + dx + (lon - lo0) * k * scale, y: (lat) => MAP_H - MAP_PAD - dy - (lat - la0) * scale };
}

// The outlines as SVG paths, under the points; the frame clips what lies outside it.
function provincePaths(p, rows) {
  if (!outlines) return [];
  const held = new Set(rows.filter((r) => r.city).map((r) => r.city.province.code));
  const ring = (pts) => 'M' + pts.map(([lon, lat]) => `${p.x(lon).toFixed(1)},${p.y(lat).toFixed(1)}`).join('L') + 'Z';
  return outlines.features.map((f) => {
    const g = f.geometry, polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    const code = f.properties.code, known = state.provinces.get(code);
    return s('path', { class: held.has(code) ? 'province held' : 'province', 'data-code': code,
      d: polys.flatMap((poly) => poly.map(ring)).join('') },
    s('title', {}, known ? `${known.nameEn} ${known.nameZh}` : f.properties.name));
  });
}

function drawMap(rows) {
  if (!state.target) return; // outlines that arrive before the first answer wait for it
  const placed = rows.filter((r) => r.city && r.city.latitude !== null && r.city.longitude !== null);
  const unplaced = rows.filter((r) => r.city && !placed.includes(r));
  const missing = state.mapShows === 'missing', gaps = state.gaps;
  const kinds = lackKinds(rows, gaps);
  const parts = [];
  let p = null;
  if (placed.length) {
    p = projection(placed);
    parts.push(...provincePaths(p, rows));
  }
  const selectedLast = (a, b) => (a.city.adminCode === state.selected) - (b.city.adminCode === state.selected);
  for (const r of [...placed].sort(selectedLast)) {
    const c = r.city, gap = gaps.get(c.adminCode), lack = gap && lackOf(gap), hollow = c.membership === 'CANDIDATE';
    const col = !missing ? statusColor(r.status) : lack ? kinds.get(lack.key).color : HAS_VERDICT;
    const cls = ['point', lack && 'lacks', state.changed.has(c.adminCode) && 'changed', state.selected === c.adminCode && 'selected'];
    const says = missing ? (lack ? lack.label : `has a verdict: ${statusLabel(r.status)}`) : statusLabel(r.status);
    parts.push(s('circle', { cx: p.x(c.longitude).toFixed(1), cy: p.y(c.latitude).toFixed(1), r: 6,
      fill: hollow ? '#fff' : col, stroke: col, 'stroke-width': 2.5, class: cls.filter(Boolean).join(' '),
      'data-code': c.adminCode, 'data-province': c.province.code, 'data-status': r.status, 'data-membership': c.membership,
      'data-lacks': lack ? lack.key : null, role: 'button', 'aria-label': `${c.nameEn}: ${says}`, ...onActivate(c.adminCode) },
    s('title', {}, `${c.nameEn} ${c.nameZh} — ${statusLabel(r.status)}${hollow ? ' (candidate)' : ''}` +
      (lack ? `\nLacks ${lack.detail}` : ''))));
  }
  if (!placed.length) parts.push(s('text', { x: MAP_W / 2, y: MAP_H / 2, 'text-anchor': 'middle', class: 'empty' },
    rows.some((r) => !r.city) ? 'A plan-wide target: not split across cities, nothing to place.' : 'No entry to place.'));
  const sel = placed.find((r) => r.city.adminCode === state.selected); // name the chosen point on the map
  if (sel) {
    const flip = p.x(sel.city.longitude) > MAP_W * 0.6; // near the right edge: name it on the left
    parts.push(s('text', { class: 'point-label', x: p.x(sel.city.longitude) + (flip ? -10 : 10),
      y: p.y(sel.city.latitude) + 4, 'text-anchor': flip ? 'end' : 'start' }, sel.city.nameEn));
  }
  $('#map').replaceChildren(...parts);
  $('#no-coords').textContent = unplaced.length
    ? `Not placed (no coordinates): ${unplaced.map((r) => r.city.nameEn).join(', ')}.` : '';
  drawMapLegend(kinds, rows);
}

// The legend says what the colours mean in the chosen view; "what is missing" also says what
// one value would settle, and links the fill-in template of every missing value.
function drawMapLegend(kinds, rows) {
  const missing = state.mapShows === 'missing';
  $('#legend').hidden = missing;
  $('#legend-missing').hidden = $('#map-caption').hidden = !missing;
  if (!missing) return;
  const dot = (color) => s('svg', { class: 'swatch', width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true' },
    s('circle', { cx: 7, cy: 7, r: 5, fill: color, stroke: color, 'stroke-width': 2 }));
  const verdicts = rows.filter((r) => r.city && !state.gaps.has(r.city.adminCode)).length;
  $('#legend-missing').replaceChildren(h('li', { class: 'legend-head' }, 'Missing'),
    ...[...kinds].map(([key, k]) => h('li', { 'data-lacks': key }, dot(k.color), `${key} (${k.count})`)),
    h('li', {}, dot(HAS_VERDICT), `has a verdict (${verdicts})`));
  const settle = state.gapCounts.filter((m) => m.wouldSettle > 0)
    .map((m) => `${indicatorName(m)} for ${m.year} would settle ${m.wouldSettle}`);
  const lacking = rows.filter((r) => r.city && state.gaps.has(r.city.adminCode)).length;
  const template = `/views/gaps?target=${encodeURIComponent(state.target.code)}&membership=${membershipParam()}&format=csv`;
  const plan = rows.some((r) => !r.city) && state.planGap && lackOf(state.planGap); // a plan-wide target
  $('#map-caption').replaceChildren(plan ? `The plan area as a whole ${plan.label}: ${plan.detail}.`
    : `${lacking} of ${rows.length} listed entries have no verdict for this target.`,
  !plan && settle.length ? ` One value each: ${settle.join('; ')}.` : '', ' ',
    h('a', { href: template, id: 'template-link' }, 'Download the fill-in template (CSV)'),
    ' to add what you have.');
}
