import { type FieldNames, fieldIs } from './fields.js';
import type { Detection } from './types.js';

const LATITUDE_FIELDS = new Set(['lat', 'latitude', 'gpslat', 'geolat', 'locationlat']);
const LONGITUDE_FIELDS = new Set([
  'lng',
  'lon',
  'long',
  'longitude',
  'gpslng',
  'gpslon',
  'geolng',
  'geolon',
  'locationlng',
]);
const PAIR_FIELDS = new Set([
  'geo',
  'gps',
  'location',
  'loc',
  'coords',
  'coordinates',
  'latlng',
  'latlon',
  'll',
  'position',
]);
/** Three decimals is about 100 m: precise enough to place a home. */
const COORDINATE = /^-?\d{1,3}\.\d{3,}$/;
const PAIR = /(?:^|[^\d.])(-?\d{1,2}\.\d{3,})\s*[,; ]\s*(-?\d{1,3}\.\d{3,})(?![\d.])/;

export function detectLocation(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last !== '' && COORDINATE.test(value)) {
    const n = Number(value);
    if (
      (fieldIs(names, LATITUDE_FIELDS) && Math.abs(n) <= 90) ||
      (fieldIs(names, LONGITUDE_FIELDS) && Math.abs(n) <= 180)
    ) {
      out.push({ category: 'location', detector: 'coordinate' });
      return;
    }
  }
  if (value.length < 11 || !value.includes('.')) return;
  const pair = PAIR.exec(value);
  if (!pair) return;
  const lat = Number(pair[1]);
  const lon = Number(pair[2]);
  const decimals = Math.min((pair[1] ?? '').split('.')[1]?.length ?? 0, (pair[2] ?? '').split('.')[1]?.length ?? 0);
  // Without a field name saying so, ask for more precision so version pairs and ratios are not taken for places.
  if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && (decimals >= 4 || fieldIs(names, PAIR_FIELDS)))
    out.push({ category: 'location', detector: 'coordinate-pair' });
}
