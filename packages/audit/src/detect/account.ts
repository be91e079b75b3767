import { type FieldNames, fieldIs } from './fields.js';
import { isUnfilled } from './trackers.js';
import type { Detection } from './types.js';

const ACCOUNT_FIELDS = new Set([
  'userid',
  'uid',
  'accountid',
  'account',
  'accountname',
  'username',
  'user',
  'login',
  'loginname',
  'loginid',
  'miaccount',
  'xiaomiid',
  'xiaomiaccount',
  'miid',
  'memberid',
  'customerid',
  'nickname',
  'screenname',
  'userhandle',
]);
const NOT_AN_ACCOUNT = /^(?:true|false|null|undefined|none|0|-1|guest|anonymous)$/i;

export function detectAccount(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last === '' || !fieldIs(names, ACCOUNT_FIELDS)) return;
  if (value.length >= 3 && value.length <= 256 && !NOT_AN_ACCOUNT.test(value) && !isUnfilled(value))
    out.push({ category: 'account-id', detector: 'account-field' });
}
