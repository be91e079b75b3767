// How the candor command words a failure: one line, the exit code of the convention, no raw system codes.
import { describe, expect, it } from 'vitest';
import { describeFailure, EXIT, UsageError } from '../src/errors.js';

const systemError = (code: string, fields: Record<string, unknown>, message = `${code}: raw`) =>
  Object.assign(new Error(message), { code, ...fields });

describe('describeFailure', () => {
  it('turns system errors into words and the documented exit code', () => {
    expect(describeFailure(systemError('EADDRINUSE', { address: '127.0.0.1', port: 8080 }))).toEqual({
      message: 'port 8080 on 127.0.0.1 is already in use; stop what holds it or pass another --port',
      code: EXIT.runtime,
    });
    expect(describeFailure(systemError('ENOENT', { path: '/no/such/dir' }))).toEqual({
      message: 'no such file or folder: /no/such/dir',
      code: EXIT.usage,
    });
    expect(describeFailure(systemError('ECONNREFUSED', { address: '127.0.0.1', port: 4222 })).message).toBe(
      'nothing answers at 127.0.0.1:4222: is the server running?',
    );
    expect(describeFailure(systemError('ENOTFOUND', { hostname: 'nats.internal' })).message).toBe(
      'cannot resolve host nats.internal',
    );
  });

  it("names the store another process holds, without DuckDB's PID", () => {
    const lock = new Error(
      'IO Error: Could not set lock on file "/srv/.candor/candor.duckdb": Conflicting lock is held in /usr/bin/node (PID 12539).',
    );
    const { message, code } = describeFailure(lock);
    expect(code).toBe(EXIT.runtime);
    expect(message).toMatch(/^the store \/srv\/\.candor\/candor\.duckdb is in use by another process/);
    expect(message).not.toMatch(/PID|12539/);
  });

  it('keeps error codes out of the messages of libraries (ClickHouse, NATS)', () => {
    const clickhouse = new Error(
      'cannot set up ClickHouse at http://db:8123/candor: connect ECONNREFUSED 10.0.0.5:8123',
    );
    expect(describeFailure(clickhouse).message).toBe(
      'cannot set up ClickHouse at http://db:8123/candor: nothing answers at 10.0.0.5:8123',
    );
    const nats = new Error('cannot reach the queue at nats://q:4222: getaddrinfo ENOTFOUND q');
    expect(describeFailure(nats).message).toBe('cannot reach the queue at nats://q:4222: cannot resolve host q');
  });

  it('exits 2 for bad usage', () => {
    expect(describeFailure(new UsageError('--k: "x" is not valid'))).toEqual({
      message: '--k: "x" is not valid',
      code: EXIT.usage,
    });
  });
});
