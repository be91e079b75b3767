import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditFiles, openGeoIp } from '@candor/audit';
import { expect, it } from 'vitest';
import { sensorsCapture } from './fixtures/captures.js';
import { tempDir, writeJson } from './helpers.js';
import { buildCountryMmdb } from './mmdb-writer.js';

const dir = tempDir();
const db = join(dir, 'countries.mmdb');
writeFileSync(
  db,
  buildCountryMmdb([
    ['161.117.0.0/16', 'SG'],
    ['95.163.0.0/16', 'RU'],
  ]),
);

it('reads a MaxMind-format database', async () => {
  const lookup = await openGeoIp(db);
  expect(lookup.country('161.117.0.10')).toBe('SG');
  expect(lookup.country('95.163.1.2')).toBe('RU');
  expect(lookup.country('8.8.8.8')).toBeUndefined();
  expect(lookup.country('not an address')).toBeUndefined();
});

it('gives the country of each server address the capture records', async () => {
  const har = sensorsCapture();
  const second = har.log.entries[1] as Record<string, unknown>;
  second.serverIPAddress = '95.163.1.2';
  const file = writeJson(dir, 'geo.har', har);
  const result = await auditFiles([file], { geoip: db });
  expect(result.hosts[0]?.addresses).toEqual(['161.117.0.10', '95.163.1.2']);
  expect(result.hosts[0]?.countries).toEqual(['RU', 'SG']);
  expect(result.domains[0]?.countries).toEqual(['RU', 'SG']);
});

it('names the file when the database cannot be read', async () => {
  const bad = writeJson(dir, 'not.mmdb', { hello: 1 });
  await expect(openGeoIp(bad)).rejects.toThrow(/not\.mmdb: not a readable MaxMind database/);
});
