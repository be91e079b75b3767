import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitFor, whichBinary } from './processes.js';

/**
 * A throwaway clickhouse-server for tests and benchmarks: its own config, data and logs under `dir`, listening on
 * 127.0.0.1 only, on free ports. It can be stopped and started again on the same ports and data, which is what
 * the fault tests need. Production runs ClickHouse as the operator sets it up; this is not for that.
 */
export interface LocalClickHouse {
  /** HTTP endpoint, e.g. http://127.0.0.1:41234 */
  httpUrl: string;
  /** The `--store` form: clickhouse://127.0.0.1:PORT/DATABASE */
  storeUrl(database: string): string;
  start(): Promise<void>;
  /** Stops the server; `kill` sends SIGKILL instead of a clean SIGTERM shutdown. */
  stop(options?: { kill?: boolean }): Promise<void>;
  running(): boolean;
}

export const CLICKHOUSE_BINARY = 'clickhouse-server';

export async function clickHouseAvailable(): Promise<boolean> {
  return (await whichBinary(CLICKHOUSE_BINARY)) !== null;
}

/** The generated server config: everything under `dir`, loopback only, quiet logs. */
export function clickHouseConfig(dir: string, httpPort: number, tcpPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/clickhouse-server.log</log>
    <errorlog>${dir}/log/clickhouse-server.err.log</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;
}

export const CLICKHOUSE_USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

export async function startLocalClickHouse(dir: string): Promise<LocalClickHouse> {
  const binary = await whichBinary(CLICKHOUSE_BINARY);
  if (!binary) throw new Error(`${CLICKHOUSE_BINARY} is not installed (apt-get install -y clickhouse-server)`);
  const httpPort = await freePort();
  const tcpPort = await freePort();
  for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas'])
    await mkdir(join(dir, sub), { recursive: true });
  const configFile = join(dir, 'config.xml');
  await writeFile(configFile, clickHouseConfig(dir, httpPort, tcpPort));
  await writeFile(join(dir, 'users.xml'), CLICKHOUSE_USERS);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | null = null;

  const server: LocalClickHouse = {
    httpUrl,
    storeUrl: (database) => `clickhouse://127.0.0.1:${httpPort}/${database}`,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) return;
      const started = spawn(binary, [`--config-file=${configFile}`], { cwd: dir, stdio: 'ignore' });
      child = started;
      killOnExit(started);
      await waitFor(`clickhouse-server on ${httpUrl}`, 60_000, async () => {
        if (started.exitCode !== null)
          throw new Error(`clickhouse-server exited with ${started.exitCode}; see ${dir}/log`);
        const response = await fetch(`${httpUrl}/ping`).catch(() => null);
        return response?.ok === true;
      });
    },
    async stop(options = {}) {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await server.start();
  return server;
}

/** Children die with the test or benchmark process that started them, however it ends. */
function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}
