import { type DecodeContext, decodeString } from '../decode/index.js';

/**
 * An Authorization header: "Bearer <token>" is decoded like any value (a JWT's claims are read), "Basic
 * <base64>" yields its user name (the password is not repeated in the report).
 */
export function decodeCredentials(ctx: DecodeContext, value: string, field: string): void {
  const space = value.indexOf(' ');
  const scheme = space > 0 ? value.slice(0, space).toLowerCase() : '';
  const credentials = space > 0 ? value.slice(space + 1).trim() : value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) ctx.emit({ field: `${field}.user`, value: decoded.slice(0, colon), decoding: ['base64'] });
    return;
  }
  decodeString(ctx, credentials, field, []);
}
