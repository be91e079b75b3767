import { RELEASE_TABLES } from './schema.js';
import { dayLiteral, stringLiteral } from './sql.js';

/** One raw line of an open day, as the release reads it. */
export interface DayLineRow {
  metric: string;
  dim: string;
  key: string;
  detail: string;
  bucket: number | string;
  reports: number | string;
  value: number;
}

/**
 * A day's raw lines, summed per grouping, cell and bucket (the same sums as the DuckDB store, in the same fixed
 * order, so the release gives the same answers on either and reads no order left to the server). Rows are summed
 * here whether or not ClickHouse has merged them yet.
 */
export function dayLinesSql(table: string, app: string, day: string): string {
  return `SELECT metric, dim, key, detail, bucket, sum(reports) AS reports, sum(value) AS value
FROM ${table}
WHERE app = ${stringLiteral(app)} AND day = ${dayLiteral(day)}
GROUP BY metric, dim, key, detail, bucket
ORDER BY metric, dim, key, detail, bucket`;
}

/** Released lines of one grouping over a range: of each released day, the one completed attempt served. */
export function releasedLinesSql(database: string, app: string, metric: string, dim: string, from: string, to: string) {
  const where = `app = ${stringLiteral(app)} AND metric = ${stringLiteral(metric)} AND dim = ${stringLiteral(dim)}
  AND day >= ${dayLiteral(from)} AND day <= ${dayLiteral(to)}`;
  // Two collectors may release the same day at once; the attempt with the smallest id is the one served.
  const done = `(day, release) IN (SELECT day, min(release) FROM ${database}.${RELEASE_TABLES.days}
  WHERE app = ${stringLiteral(app)} GROUP BY day)`;
  return {
    groupings: `SELECT toString(day) AS d, epsilon, delta, reports_scale, value_scale, threshold
FROM ${database}.${RELEASE_TABLES.groupings} WHERE ${where} AND ${done} ORDER BY day`,
    lines: `SELECT toString(day) AS d, key, detail, bucket, reports, value
FROM ${database}.${RELEASE_TABLES.lines} WHERE ${where} AND ${done}`,
  };
}
