/** Where a ClickHouse store lives, parsed from `clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE`. */
export interface ClickHouseLocation {
  /** The HTTP interface, e.g. http://127.0.0.1:8123 */
  httpUrl: string;
  database: string;
  username: string;
  password: string;
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function parseClickHouseUrl(text: string): ClickHouseLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--store "${text}" is not a URL; expected clickhouse://HOST:8123/DATABASE`);
  }
  if (url.protocol !== 'clickhouse:' && url.protocol !== 'clickhouses:') {
    throw new Error(`--store "${text}" must start with clickhouse:// (or clickhouses:// for TLS)`);
  }
  if (!url.hostname) throw new Error(`--store "${text}" has no host`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'candor';
  if (!DATABASE_NAME.test(database)) {
    throw new Error(`--store "${text}": database name "${database}" must be letters, digits and underscores`);
  }
  const scheme = url.protocol === 'clickhouses:' ? 'https' : 'http';
  const port = url.port || '8123';
  return {
    httpUrl: `${scheme}://${url.hostname}:${port}`,
    database,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
  };
}
