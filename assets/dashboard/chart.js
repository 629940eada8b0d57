// rustbelt live dashboard: the chart of one subject's series (drawChart), split from
// dashboard.js to keep each file readable. Loaded first; it uses dashboard.js's helpers
// ($, s, state, num, statusText) only when called, by which time they exist.
'use strict';

// The series the evaluation used, with the target level and the baseline as lines named in
// the right margin, so no label sits on the data. A CUMULATIVE target is a total of annual
// flows, so its series is drawn as a running total. The chart is drawn at the panel's real
// width (not a scaled viewBox), so its text keeps its CSS size on a wide or a narrow screen.
const CHART_H = 320, TOP = 30, BOTTOM = 34, PAD = 24; // PAD keeps end points off the axes
let shownChart = null, drawnWidth = 0;
function watchChartWidth() { // redraw when the panel changes width, not on every event
  new ResizeObserver(() => {
    if (shownChart && Math.round($('#chart').getBoundingClientRect().width) !== drawnWidth) drawChart(shownChart);
  }).observe($('#chart-panel'));
}

// Labels: millions as "9.37M"; otherwise up to 4 significant digits, never rounding away
// whole units (20,512 stays 20,512). Tooltips and the table keep the full number.
function short(v) {
  if (Math.abs(v) >= 1e6) return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 2 }).format(v);
  const digits = Math.max(4, Math.floor(Math.log10(Math.abs(v) || 1)) + 1);
  return new Intl.NumberFormat('en', { maximumSignificantDigits: digits }).format(v);
}

// Text width in px, measured in the chart's own font, so the margins fit their labels.
const ruler = document.createElement('canvas').getContext('2d');
function textWidth(text, weight) {
  ruler.font = `${weight} 12px ${getComputedStyle($('#chart')).fontFamily}`;
  return ruler.measureText(text).width;
}

function drawChart(sel) {
  const svg = $('#chart'), t = state.target;
  shownChart = sel;
  svg.hidden = $('#chart-legend').hidden = !sel;
  $('#chart-hint').hidden = !!sel;
  if (!sel) { $('#chart-heading').textContent = 'Series'; $('#chart-note').textContent = ''; return; }
  const { owner, ev } = sel, cumulative = t.kind === 'CUMULATIVE';
  let run = 0;
  const pts = ev.series.map((p) => ({ ...p, value: cumulative ? (run += p.value) : p.value }));
  $('#chart-heading').textContent = `${owner.nameEn} ${owner.nameZh} — ${t.indicator.nameEn}`;

  // Value axis: round ticks (1, 2 or 5 × a power of ten) with half a step of room around the
  // values, never below zero for values that are not, all with the decimals the step needs.
  const vals = [...pts.map((p) => p.value), ev.targetLevel, ev.baselineValue].filter((v) => v !== null);
  const lo = vals.length ? Math.min(...vals) : 0, hi = vals.length ? Math.max(...vals) : 1;
  const raw = (hi - lo || Math.abs(hi) || 1) / 4, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw * 0.999);
  const v0 = Math.max(lo >= 0 ? 0 : -Infinity, Math.floor((lo - step / 2) / step) * step);
  const v1 = Math.ceil((hi + step / 2) / step) * step;
  const ticks = Array.from({ length: Math.round((v1 - v0) / step) + 1 }, (_, i) => v0 + i * step); // no float drift
  const dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const tick = Math.max(v1, -v0) >= 1e6 ? short : (v) => v.toLocaleString('en', { minimumFractionDigits: dec, maximumFractionDigits: dec });

  // The reference lines and their two-line margin labels; the baseline starts at its year.
  const refs = [
    ev.targetLevel !== null && { cls: 'target', v: ev.targetLevel, year: null, text: [`target ${short(ev.targetLevel)}`, `by ${t.targetYear}`] },
    ev.baselineValue !== null && { cls: 'baseline', v: ev.baselineValue, year: ev.baselineYear,
      text: [`baseline ${short(ev.baselineValue)}`, `in ${ev.baselineYear}`] },
  ].filter(Boolean);

  // The margins fit the widest tick and the widest margin label (those are bold).
  const W = Math.max(360, Math.round(svg.getBoundingClientRect().width) || 600), H = CHART_H;
  drawnWidth = W;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const L = 12 + Math.max(...ticks.map((v) => textWidth(tick(v), 400)));
  const R = 16 + Math.max(0, ...refs.flatMap((r) => r.text).map((l) => textWidth(l, 600)));
  const years = [t.baselineYear, ev.evaluationYear, ...pts.map((p) => p.year)];
  const x0 = Math.min(...years), x1 = Math.max(...years), perYear = (W - L - R - 2 * PAD) / (x1 - x0 || 1);
  const x = (yr) => L + PAD + (yr - x0) * perYear, y = (v) => H - BOTTOM - ((v - v0) / (v1 - v0)) * (H - TOP - BOTTOM);
  const yearStep = [1, 2, 5, 10, 20, 50].find((n) => n * perYear >= 44) || 100; // years ≥ 44 px apart

  const parts = [s('text', { class: 'unit', x: 4, y: 14 }, cumulative ? `${t.indicator.unit}, running total` : t.indicator.unit)];
  for (const v of ticks) parts.push(s('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
    s('text', { class: 'tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, tick(v)));
  for (let yr = Math.ceil(x0 / yearStep) * yearStep; yr <= x1; yr += yearStep) parts.push(
    s('text', { class: 'tick', x: x(yr), y: H - BOTTOM + 18, 'text-anchor': 'middle' }, String(yr)));
  parts.push(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - BOTTOM, y2: H - BOTTOM }),
    s('line', { class: 'axis', x1: L, x2: L, y1: TOP, y2: H - BOTTOM }));
  const ly = refs.map((r) => y(r.v)); // two close levels: their labels 30 px apart, the target on its side
  if (ly.length === 2 && Math.abs(ly[0] - ly[1]) < 30) {
    const mid = (ly[0] + ly[1]) / 2, d = ly[0] <= ly[1] ? -15 : 15;
    [ly[0], ly[1]] = [mid + d, mid - d];
  }
  refs.forEach((r, i) => parts.push(
    s('line', { class: `${r.cls}-line`, x1: r.year === null ? L : x(r.year), x2: W - R, y1: y(r.v), y2: y(r.v) }),
    s('text', { class: `${r.cls}-label`, x: W - R + 8, y: Math.min(Math.max(ly[i], 16), H - 18) - 2 },
      s('tspan', {}, r.text[0] + ' '), s('tspan', { x: W - R + 8, dy: 13 }, r.text[1]))));

  if (pts.length > 1) parts.push(s('polyline', { class: 'series', points: pts.map((p) => `${x(p.year)},${y(p.value)}`).join(' ') }));
  const roomy = perYear >= 48; // room to label every value; if not, only the latest one
  pts.forEach((p, i) => parts.push(
    s('circle', { class: p.derived ? 'value derived' : 'value', cx: x(p.year), cy: y(p.value), r: 5,
      'data-year': p.year, 'data-derived': String(p.derived) },
    s('title', {}, `${p.year}: ${num(p.value)} ${t.indicator.unit}, ${p.derived ? 'derived from two published values' : 'published'}`)),
    roomy || i === pts.length - 1
      ? s('text', { class: 'value-label', x: x(p.year), y: y(p.value) - 10, 'text-anchor': 'middle' }, short(p.value)) : null));
  if (!pts.length) parts.push(s('text', { class: 'empty', x: (L + W - R) / 2, y: (TOP + H - BOTTOM) / 2, 'text-anchor': 'middle' },
    'No values recorded: nothing to draw.'));
  svg.replaceChildren(...parts.filter(Boolean));

  $('#chart-note').textContent = [`${statusText(ev)} as of ${ev.evaluationYear}.`,
    ev.baselineSubstituted && `No ${t.baselineYear} value: the first observed year, ${ev.baselineYear}, stands in as the baseline.`,
    owner.membership === 'CANDIDATE' && 'A candidate entry: only indirect evidence puts it on the plan\'s list.',
  ].filter(Boolean).join(' ');
}
