// Preloaded (node --require) into every server the benchmark starts, papergraph and the
// limit alike, so that all are measured the same way.
// - Counts the SQL statements sent through pg (Client#query; pool.query goes through it)
//   and writes the running total to BENCH_STATEMENTS_FILE on SIGUSR2.
// - With BENCH_NO_BATCHING=1 every DataLoader dispatches one key per batch: papergraph's own
//   resolvers, unchanged, become the naive N+1 baseline that batching removes.
const fs = require('node:fs');
const pg = require('pg');

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements++;
  return query.apply(this, args);
};
process.on('SIGUSR2', () => {
  if (process.env.BENCH_STATEMENTS_FILE) fs.writeFileSync(process.env.BENCH_STATEMENTS_FILE, String(statements));
});

if (process.env.BENCH_NO_BATCHING === '1') {
  const DataLoader = require('dataloader');
  const load = DataLoader.prototype.load;
  DataLoader.prototype.load = function unbatchedLoad(key) {
    this._maxBatchSize = 1;
    return load.call(this, key);
  };
}
