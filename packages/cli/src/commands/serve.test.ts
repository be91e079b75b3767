import { describe, expect, it } from 'vitest';
import { run, toCollectorOptions } from './serve.js';

describe('candor serve options', () => {
  it('maps flags to collector options with the documented defaults: differential privacy is on', () => {
    expect(toCollectorOptions({})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      store: 'duckdb:.candor/candor.duckdb',
      keysDir: '.candor/keys',
      privacy: { epsilon: 8, delta: 1e-6 },
    });
    expect(toCollectorOptions({ epsilon: '2', delta: '1e-8', port: '0' })).toMatchObject({
      privacy: { epsilon: 2, delta: 1e-8 },
      port: 0,
    });
  });

  it('names the flag that is wrong', () => {
    expect(() => toCollectorOptions({ epsilon: '0' })).toThrow(/--epsilon/);
    expect(() => toCollectorOptions({ delta: '1' })).toThrow(/--delta/);
    expect(() => toCollectorOptions({ port: 'http' })).toThrow(/--port/);
  });

  it('names what is wrong with the Prio3 roles before starting anything', async () => {
    await expect(run(['--role', 'judge'])).rejects.toThrow(/--role: leader or helper/);
    await expect(run(['--role', 'leader'])).rejects.toThrow(/--role leader needs --helper URL/);
    await expect(run(['--helper', 'http://127.0.0.1:9'])).rejects.toThrow(/--helper needs --role leader/);
    await expect(
      run(['--role', 'leader', '--helper', 'http://127.0.0.1:9', '--queue', 'nats://127.0.0.1:4222']),
    ).rejects.toThrow(/does not combine with --queue/);
  });
});
