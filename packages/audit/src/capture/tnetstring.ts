/**
 * tnetstrings (https://tnetstrings.info), the encoding of mitmproxy's flow files: `LENGTH:DATA` and one type
 * byte. mitmproxy adds `;` for text next to `,` for bytes. No package on the registry reads them, and the format
 * is this small.
 */
export type TnetValue = Buffer | string | number | boolean | null | TnetValue[] | { [key: string]: TnetValue };

export class TnetError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_LENGTH_DIGITS = 12;

/**
 * How many bytes the value starting at `offset` spans (its type byte included), once its length prefix is in
 * `buffer`; undefined while the prefix itself is incomplete.
 */
export function tnetSize(buffer: Buffer, offset: number): number | undefined {
  const colon = buffer.indexOf(0x3a, offset);
  if (colon === -1 || colon - offset > MAX_LENGTH_DIGITS) {
    if (buffer.length - offset > MAX_LENGTH_DIGITS) throw new TnetError('no length prefix', offset);
    return undefined;
  }
  return colon + 1 - offset + readLength(buffer, offset, colon) + 1;
}

function readLength(buffer: Buffer, offset: number, colon: number): number {
  const digits = buffer.toString('latin1', offset, colon);
  if (digits.length === 0 || digits.length > MAX_LENGTH_DIGITS || !/^\d+$/.test(digits))
    throw new TnetError(`bad length prefix "${digits.slice(0, 20)}"`, offset);
  return Number(digits);
}

/** Parses the value at `offset`; returns it and the offset after it. */
export function parseTnet(buffer: Buffer, offset = 0, depth = 0): { value: TnetValue; next: number } {
  if (depth > 64) throw new TnetError('nested too deeply', offset);
  const colon = buffer.indexOf(0x3a, offset);
  if (colon === -1) throw new TnetError('no length prefix', offset);
  const length = readLength(buffer, offset, colon);
  const start = colon + 1;
  const end = start + length;
  if (end >= buffer.length) throw new TnetError('value runs past the end of the data', offset);
  const type = String.fromCharCode(buffer[end] as number);
  const payload = buffer.subarray(start, end);
  const next = end + 1;
  switch (type) {
    case ',':
      return { value: payload, next };
    case ';':
      return { value: payload.toString('utf8'), next };
    case '#':
    case '^': {
      const number = Number(payload.toString('latin1'));
      if (!Number.isFinite(number)) throw new TnetError('bad number', offset);
      return { value: number, next };
    }
    case '!':
      return { value: payload.toString('latin1') === 'true', next };
    case '~':
      return { value: null, next };
    case ']': {
      const list: TnetValue[] = [];
      let at = 0;
      while (at < payload.length) {
        const item = parseTnet(payload, at, depth + 1);
        list.push(item.value);
        at = item.next;
      }
      return { value: list, next };
    }
    case '}': {
      const object: { [key: string]: TnetValue } = Object.create(null);
      let at = 0;
      while (at < payload.length) {
        const key = parseTnet(payload, at, depth + 1);
        if (typeof key.value !== 'string' && !Buffer.isBuffer(key.value)) throw new TnetError('a key is not text', at);
        const item = parseTnet(payload, key.next, depth + 1);
        object[key.value.toString()] = item.value;
        at = item.next;
      }
      return { value: object, next };
    }
    default:
      throw new TnetError(`unknown type "${type}"`, end);
  }
}
