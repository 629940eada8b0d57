#!/usr/bin/env node
// An example client of the rustbelt GraphQL API: graphql-request over HTTP, graphql-ws (on the
// `ws` package) for live updates. Every step asserts what the server must answer; the first
// wrong answer ends the run with exit code 1.
//
//   node client.mjs http://HOST:PORT/graphql WRITE_TOKEN
//
// It records one observation and deletes it again, so the data ends as it was found.
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node client.mjs http://HOST:PORT/graphql WRITE_TOKEN');
  process.exit(2);
}

const NESTED = `{
  plan { confirmedCityCount }
  provinces {
    pageInfo { hasNextPage }
    nodes { code nameEn cities {
      pageInfo { hasNextPage }
      nodes { adminCode nameEn evaluation { target { code } status } }
    } }
  }
}`;
// The slot the writes use. The seed holds Bengbu's 2016 and 2017 services shares, and writing
// over a seeded row would replace the reference value, so the example writes 2015.
const SLOT = { cityCode: { eq: '340300' }, indicatorCode: { eq: 'services_share_gdp' }, year: { eq: 2015 } };
const IN_SLOT = `query ($f: ObservationFilter) { observations(filter: $f) { nodes { id value origin } } }`;
const RECORD = `mutation ($input: [ObservationInput!]!) {
  recordObservations(input: $input) { id value recordedBy recordedVersion }
}`;
const DELETE = `mutation ($ids: [ID!]!) { deleteObservations(ids: $ids) }`;
const RECORDED = `subscription ($filter: ObservationFilter) {
  observationsRecorded(filter: $filter) {
    version recordedBy count observations { year value city { adminCode } }
  }
}`;

const row = (value) => ({
  subjectCode: '340300', indicatorCode: 'services_share_gdp', year: 2015, value,
  source: 'https://example.org/clients-test', sourceGrade: 'SECONDARY',
});

function check(ok, message) {
  if (!ok) throw new Error(message);
}

const reader = new GraphQLClient(url);
const writer = new GraphQLClient(url, { headers: { authorization: `Bearer ${token}` } });
// retryAttempts 0: a refused or dropped socket should fail the run, not be retried quietly.
const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });

async function main() {
  // 1. A nested query: provinces, their confirmed entries, each entry's evaluations.
  const { plan, provinces } = await reader.request(NESTED);
  check(!provinces.pageInfo.hasNextPage, 'provinces came in more than one page');
  let cities = 0;
  for (const p of provinces.nodes) {
    check(/^\d{6}$/.test(p.code), `province code ${p.code} is not 6 digits`);
    check(!p.cities.pageInfo.hasNextPage, `${p.nameEn}: cities came in more than one page`);
    for (const c of p.cities.nodes) {
      cities++;
      // GB/T 2260: a city's code starts with its province's two digits.
      check(c.adminCode.slice(0, 2) === p.code.slice(0, 2),
        `${c.nameEn} (${c.adminCode}) is not in ${p.code}`);
      check(c.evaluation.some((e) => e.target?.code === 'services_share_2017'),
        `${c.nameEn} has no services_share_2017 evaluation`);
    }
  }
  check(cities === plan.confirmedCityCount && cities === 44,
    `${cities} confirmed cities nested in provinces, plan says ${plan.confirmedCityCount}, seed has 44`);
  console.log(`nested query: ${cities} confirmed cities in ${provinces.nodes.length} provinces`);

  const before = (await reader.request(IN_SLOT, { f: SLOT })).observations.nodes;
  check(before.every((o) => o.origin !== 'SEED'), 'the seed now holds 340300/2015: pick another slot');

  // 2. A write without the token is refused and changes nothing.
  const refused = await reader.request(RECORD, { input: [row(99.9)] }).then(() => null, (e) => e);
  check(refused instanceof ClientError, `write without a token: expected an error, got ${refused}`);
  const code = refused.response.errors?.[0]?.extensions?.code;
  check(code === 'UNAUTHORIZED', `write without a token: expected UNAUTHORIZED, got ${code}`);
  const after = (await reader.request(IN_SLOT, { f: SLOT })).observations.nodes;
  check(JSON.stringify(after) === JSON.stringify(before), 'the refused write changed the data');
  console.log('write without token: refused with UNAUTHORIZED, nothing written');

  // 3. A subscription sees a write made over HTTP. The server has no "subscribed" message, so
  // a write sent too early is not announced: write, wait up to 1 s for the event of that write
  // (matched by its data version), and write a new value if none came.
  const filter = { indicatorCode: { eq: 'services_share_gdp' } };
  const live = ws.iterate({ query: RECORDED, variables: { filter } });
  let pending;
  const advance = () => {
    pending = live.next();
    pending.catch(() => {}); // a rejection is reported when nextEvent awaits it, not as unhandled
  };
  advance();
  const nextEvent = async (ms) => {
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, ms, null); });
    const result = await Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
    if (!result) return null;
    check(!result.done, 'the subscription ended');
    check(!result.value.errors, `subscription error: ${JSON.stringify(result.value.errors)}`);
    advance();
    return result.value.data.observationsRecorded;
  };
  const ids = new Set();
  const deadline = Date.now() + 5000;
  let written, event;
  for (let tenths = 415; !event; tenths++) {
    check(Date.now() < deadline, 'no observationsRecorded event within 5 s of the first write');
    [written] = (await writer.request(RECORD, { input: [row(tenths / 10)] })).recordObservations;
    ids.add(written.id);
    const until = Math.min(Date.now() + 1000, deadline);
    while (!event && Date.now() < until) {
      const e = await nextEvent(until - Date.now());
      if (e?.version === written.recordedVersion) event = e; // events of earlier writes are stale
    }
  }
  check(event.recordedBy === 'API' && event.count === 1 && event.observations.length === 1,
    `event: expected one observation recorded by API, got ${JSON.stringify(event)}`);
  const [o] = event.observations;
  check(o.value === written.value && o.year === 2015 && o.city?.adminCode === '340300',
    `event: expected 340300/2015 = ${written.value}, got ${JSON.stringify(o)}`);
  console.log(`subscription: event for version ${event.version}, 340300/2015 = ${o.value}`);
  await live.return();

  // 4. Delete what was written.
  const deleted = (await writer.request(DELETE, { ids: [...ids] })).deleteObservations;
  check(deleted.length === ids.size && deleted.every((id) => ids.has(id)),
    `deleted ${deleted}, but wrote ${[...ids]}`);
  const left = (await reader.request(IN_SLOT, { f: SLOT })).observations.nodes;
  check(left.length === 0, `after the delete the slot still holds ${JSON.stringify(left)}`);
  console.log(`cleanup: deleted ${deleted.length} observation(s)`);
}

function describe(e) {
  if (e instanceof ClientError) return JSON.stringify(e.response.errors ?? e.response);
  if (e instanceof Error) return e.message;
  if (Array.isArray(e)) return JSON.stringify(e); // graphql-ws: the server's errors for a subscribe
  return `socket closed: ${e?.code} ${e?.reason}`; // graphql-ws: the socket's close event
}

try {
  await main();
  await ws.dispose();
} catch (e) {
  console.error(`FAIL: ${describe(e)}`);
  process.exit(1);
}
