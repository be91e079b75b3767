import { describe, expect, it } from 'vitest';
import { toCollectorOptions } from './serve.js';

describe('candor serve options', () => {
  it('maps flags to collector options with the documented defaults', () => {
    expect(toCollectorOptions({})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      store: 'duckdb:.candor/candor.duckdb',
      keysDir: '.candor/keys',
      k: 20,
    });
    expect(toCollectorOptions({ 'dp-epsilon': '0.5', k: '50', port: '0' })).toMatchObject({
      dp: { epsilon: 0.5, budgetPerDay: 5 },
      k: 50,
      port: 0,
    });
  });

  it('names the flag that is wrong', () => {
    expect(() => toCollectorOptions({ k: '0' })).toThrow(/--k/);
    expect(() => toCollectorOptions({ port: 'http' })).toThrow(/--port/);
    expect(() => toCollectorOptions({ 'dp-budget': '3' })).toThrow(/--dp-epsilon/);
  });
});
