// What an integrator's TypeScript looks like with the generated types. It is type-checked, not
// run (clients/node runs the same operations): rename or retype a field that operations.graphql
// uses, or change an argument, and `tsc` fails here.
import { readFileSync } from 'node:fs';
import type {
  DeleteObservationsMutation,
  DeleteObservationsMutationVariables,
  EvaluationStatus,
  NestedQuery,
  NestedQueryVariables,
  ObservationInput,
  ObservationsRecordedSubscription,
  RecordObservationsMutation,
  RecordObservationsMutationVariables,
} from './generated/graphql.js';

// The whole file is sent with the name of the operation to run, so the documents sent are
// exactly the ones the types were generated from.
const DOCUMENT = readFileSync(new URL('./operations.graphql', import.meta.url), 'utf8');

// Each HTTP operation's name, with its generated result and variables types.
interface Operations {
  Nested: [NestedQuery, NestedQueryVariables];
  RecordObservations: [RecordObservationsMutation, RecordObservationsMutationVariables];
  DeleteObservations: [DeleteObservationsMutation, DeleteObservationsMutationVariables];
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function request<N extends keyof Operations>(
  url: string,
  operationName: N,
  variables: Operations[N][1],
  token?: string,
): Promise<Operations[N][0]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: DOCUMENT, operationName, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as GraphQLResponse<Operations[N][0]>;
  if (body.errors?.length || !body.data) {
    const errors = body.errors?.map((e) => e.extensions?.code ?? e.message);
    throw new Error(`${operationName}: ${errors?.join(', ') ?? `HTTP ${response.status}`}`);
  }
  return body.data;
}

/** How many confirmed cities have each status for one target, from the nested query. */
export async function statusCounts(url: string, target: string): Promise<Map<EvaluationStatus, number>> {
  const { provinces } = await request(url, 'Nested', {});
  const counts = new Map<EvaluationStatus, number>();
  for (const city of provinces.nodes.flatMap((p) => p.cities.nodes)) {
    const status = city.evaluation.find((e) => e.target?.code === target)?.status;
    if (status) counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

/** Records observations and gives back a function that deletes them again. */
export async function record(
  url: string,
  token: string,
  input: ObservationInput[],
): Promise<() => Promise<void>> {
  const { recordObservations } = await request(url, 'RecordObservations', { input }, token);
  // A mutation field is null when it wrote nothing; the request's errors say why.
  if (!recordObservations) throw new Error('nothing was recorded');
  const ids = recordObservations.map((o) => o.id);
  return async () => {
    await request(url, 'DeleteObservations', { ids }, token);
  };
}

/** One line for an `observationsRecorded` event (received with any graphql-transport-ws client). */
export function describe({ observationsRecorded: e }: ObservationsRecordedSubscription): string {
  const rows = e.observations.map((o) => `${o.city?.adminCode ?? 'plan'} ${o.year} = ${o.value}`);
  return `version ${e.version}, by ${e.recordedBy}: ${e.count} observation(s): ${rows.join('; ')}`;
}
