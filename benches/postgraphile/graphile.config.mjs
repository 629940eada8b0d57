// The PostGraphile peer of benches/bench.py: the amber preset (PostGraphile 5's recommended
// defaults) over the copy of rustbelt's SQLite file in PostgreSQL, as a production server
// would run it. bench.py copies this file beside the installed node_modules
// (target/bench-postgraphile) and sets DATABASE_URL and PORT.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
export default {
  extends: [PostGraphileAmberPreset],
  // node-postgres's default pool of 10 connections: more queries at once than the benchmark
  // machine's cores (2 here), which PostgreSQL shares with Node and wrk, can run.
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT),
    // No development conveniences: no GraphiQL page, no schema watching, no websockets.
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
  },
  // No plan or SQL in the answers (explain is a development aid).
  grafast: { explain: false },
};
