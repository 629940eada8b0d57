// Runs graphql-http's server audit (GraphQL over HTTP) against a running server and prints
// every result. Exits 1 on any MUST failure ("error"). Usage: node audit.mjs URL
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const counts = { ok: 0, warn: 0, notice: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  const reason = result.status === 'ok' ? '' : ` — ${result.reason}`;
  console.log(`${result.status.padEnd(6)} ${audit.id} ${audit.name}${reason}`);
}
console.log(`audit: ok=${counts.ok} warn=${counts.warn} notice=${counts.notice} error=${counts.error}`);
process.exit(counts.error > 0 ? 1 : 0);
