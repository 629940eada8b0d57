// The dashboard map's checks, for dashboard.test.mjs: province outlines drawn under the points
// (each point inside its own province's outline), and the "what is missing" view against the
// API's Target.gaps. Each function throws an Error that says what the page shows instead.

const check = (cond, msg) => { if (!cond) throw new Error(msg); };

// Every outline of /dashboard/provinces.geojson is a path with a shape, most of the plan's
// provinces are in view, and every point lies in (or within 4 px of) its own province.
export async function checkOutlines(page, base) {
  const served = await (await fetch(`${base}/dashboard/provinces.geojson`)).json();
  const want = served.features.map((f) => f.properties.code);
  await page.waitForFunction((n) => document.querySelectorAll('#map path.province').length === n, { timeout: 5000 }, want.length)
    .catch(async () => { throw new Error(`the map has ${await page.$$eval('#map path.province', (ps) => ps.length)} outlines, the file ${want.length}`); });
  const drawn = await page.$$eval('#map path.province', (paths) => {
    const frame = document.querySelector('#map').getBoundingClientRect();
    return paths.map((p) => {
      const r = p.getBoundingClientRect(), box = p.getBBox();
      const inView = r.right > frame.left && r.left < frame.right && r.bottom > frame.top && r.top < frame.bottom;
      return { code: p.dataset.code, shaped: box.width > 0 && box.height > 0, inView, held: p.classList.contains('held') };
    });
  });
  check(drawn.map((d) => d.code).sort().join() === [...want].sort().join(), 'the outlines drawn are not the file\'s provinces');
  const flat = drawn.filter((d) => !d.shaped).map((d) => d.code);
  check(!flat.length, `outlines with no shape: ${flat.join(', ')}`);
  const held = drawn.filter((d) => d.held);
  check(held.length >= 20 && held.every((d) => d.inView), `provinces holding entries: ${held.length}, in view: ${held.filter((d) => d.inView).length}`);
  const outside = await page.$$eval('#map circle[data-code]', (points) => points.flatMap((c) => {
    const province = document.querySelector(`#map path.province[data-code="${c.dataset.province}"]`);
    const [x, y] = [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))];
    const near = [[0, 0], [4, 0], [-4, 0], [0, 4], [0, -4]].some(([dx, dy]) => province && province.isPointInFill(new DOMPoint(x + dx, y + dy)));
    return near ? [] : [`${c.dataset.code} (province ${c.dataset.province})`];
  }));
  check(!outside.length, `points outside their province's outline: ${outside.join(', ')}`);
  return { outlines: drawn.length, inView: drawn.filter((d) => d.inView).length };
}

// The API's gaps for the target, by entry code (entries with a verdict are not listed).
export async function apiGaps(gql, base, target) {
  const q = `query($t: String!) { target(code: $t) { gaps(filter: { membership: [CONFIRMED, CANDIDATE] }) {
    entries { city { adminCode } missing { year settles } } } } }`;
  const entries = (await gql(base, q, { t: target })).target.gaps.entries;
  return new Map(entries.filter((e) => e.city).map((e) => [e.city.adminCode, e]));
}

// In the "what is missing" view a point is coloured by what it lacks: exactly the API's
// entries without a verdict carry a lack, whose years and settling value are the API's; the
// legend counts them, and the table says what each needs.
export async function checkMissingView(page, gaps) {
  await page.select('#map-shows', 'missing');
  await page.waitForFunction(() => !document.querySelector('#legend-missing').hidden && document.querySelector('#template-link'), { timeout: 5000 });
  const points = await page.$$eval('#map circle[data-code]', (cs) => cs.map((c) => [c.dataset.code, c.dataset.lacks || '', c.getAttribute('stroke')]));
  const wrong = [];
  for (const [code, lacks, color] of points) {
    const gap = gaps.get(code);
    if (!gap) { if (lacks) wrong.push(`${code} has a verdict but shows "${lacks}"`); continue; }
    const years = [...new Set(gap.missing.map((m) => m.year))].sort();
    const settling = [...new Set(gap.missing.filter((m) => m.settles).map((m) => m.year))].sort();
    const says = `lacks ${years.join(' and ')}` + (settling.length ? `: a ${settling.join(' or ')} value alone gives a verdict` : ': needs all of them for a verdict');
    if (lacks !== says) wrong.push(`${code} shows "${lacks}", the API says "${says}"`);
    if (color === '#8c8c8c') wrong.push(`${code} keeps its status colour`);
  }
  check(!wrong.length, wrong.slice(0, 5).join('; '));
  const lacking = points.filter(([code]) => gaps.has(code)).length;
  check(lacking > 0, 'no entry on the map lacks anything: nothing was checked');
  const counted = await page.$$eval('#legend-missing li[data-lacks]', (lis) => lis.reduce((n, li) => n + Number(/\((\d+)\)$/.exec(li.textContent)[1]), 0));
  const listed = await page.$$eval('#table tbody tr[data-code]', (trs) => trs.filter((tr) => tr.querySelector('.lacks').textContent).length);
  check(counted === listed, `the legend counts ${counted} entries that lack something, the table lists ${listed}`);
  const needs = await page.$$eval('#table tbody tr[data-code]', (trs) => trs.map((tr) => [tr.dataset.code, tr.querySelector('.lacks').textContent]));
  const badRows = needs.filter(([code, text]) => gaps.has(code) !== Boolean(text));
  check(!badRows.length, `"Needs for a verdict" differs from the API for ${badRows.slice(0, 5).map((r) => r[0]).join(', ')}`);
  return { lacking, points: points.length };
}

// The caption's link is the fill-in template: the gaps view as CSV, for this target.
export async function checkTemplateLink(page, base, target) {
  const href = await page.$eval('#template-link', (a) => a.getAttribute('href'));
  check(href.startsWith('/views/gaps?') && href.includes(`target=${target}`) && href.endsWith('format=csv'), `template link ${href}`);
  const res = await fetch(`${base}${href}`);
  const text = await res.text();
  check(res.ok && res.headers.get('content-type').startsWith('text/csv'), `GET ${href} answered ${res.status} ${res.headers.get('content-type')}`);
  const header = text.split('\n')[0];
  check(header.startsWith('subject_kind,subject_code,indicator,year,value'), `the template's header is ${header}`);
}
