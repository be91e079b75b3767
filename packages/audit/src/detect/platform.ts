import { type FieldNames, fieldIs } from './fields.js';
import { isUnfilled } from './trackers.js';
import type { Detection } from './types.js';

const ANDROID_ID_FIELDS = new Set(['androidid', 'ssaid', 'andid', 'androiduuid', 'aid']);
const AD_ID_FIELDS = new Set([
  'gpsadid',
  'adid',
  'advertisingid',
  'advertiserid',
  'idfa',
  'idfv',
  'aaid',
  'gaid',
  'oaid',
  'googleadid',
  'ifa',
  'maid',
  'adtrackingid',
  'advertisingidentifier',
  'googleaid',
  'vaid',
]);
/**
 * Ids an app or SDK assigns to the device or install; named so, they are meant to persist. Not "client_id": that is
 * OAuth's name for the application (RFC 6749); Google Analytics' client id is in the tracker catalogue.
 */
const DEVICE_ID_FIELDS = new Set([
  'deviceid',
  'distinctid',
  'installid',
  'installationid',
  'udid',
  'uuid',
  'visitorid',
  'anonymousid',
  'anonid',
  'guid',
  'trackingid',
  'instanceid',
  'deviceuuid',
  'did',
  'cuid',
  'uniqueid',
  'deviceidentifier',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const TOKEN = /^[A-Za-z0-9_.:+/=-]{8,128}$/;

export function detectPlatform(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last === '' || isUnfilled(value)) return;
  if (fieldIs(names, AD_ID_FIELDS)) {
    if ((UUID.test(value) && value !== ZERO_UUID) || /^[0-9a-f]{16,64}$/i.test(value))
      out.push({ category: 'platform-id', detector: 'advertising-id' });
    return;
  }
  if (fieldIs(names, ANDROID_ID_FIELDS)) {
    if (/^[0-9a-f]{15,16}$/i.test(value) || UUID.test(value))
      out.push({ category: 'platform-id', detector: 'android-id' });
    return;
  }
  if (fieldIs(names, DEVICE_ID_FIELDS) && TOKEN.test(value) && /\d/.test(value) && !/^(.)\1*$/.test(value)) {
    out.push({ category: 'persistent-id', detector: 'device-id-field' });
  }
}
