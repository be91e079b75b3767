/**
 * Protobuf wire format read without a schema: field numbers and wire types only. Hand-written because it is
 * small and must be strict: anything that is not exactly a sequence of well-formed fields is rejected, so random
 * or encrypted bytes are not mistaken for a message.
 */
/** Integers are read as JavaScript numbers: exact up to 2^53, which covers every identifier worth matching. */
export type ProtoField =
  | { number: number; type: 'varint' | 'fixed64' | 'fixed32'; value: number }
  | { number: number; type: 'bytes'; value: Uint8Array };

/** Real schemas number their fields densely from 1; huge numbers in a parse mean the bytes were not protobuf. */
const MAX_FIELD_NUMBER = 20_000;
const MAX_FIELDS = 100_000;

function readVarint(bytes: Uint8Array, start: number): [number, number] | undefined {
  let result = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i < start + 10; i++) {
    const b = bytes[i] as number;
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [result, i + 1];
    scale *= 128;
  }
  return undefined;
}

function readFixed(bytes: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let k = size - 1; k >= 0; k--) value = value * 256 + (bytes[at + k] as number);
  return value;
}

export function parseProtobuf(bytes: Uint8Array): ProtoField[] | undefined {
  if (bytes.length === 0) return undefined;
  const fields: ProtoField[] = [];
  let i = 0;
  while (i < bytes.length) {
    const tag = readVarint(bytes, i);
    if (!tag || tag[0] > 0xffffffff) return undefined;
    const key = tag[0];
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (number < 1 || number > MAX_FIELD_NUMBER) return undefined;
    i = tag[1];
    if (wire === 0) {
      const v = readVarint(bytes, i);
      if (!v) return undefined;
      fields.push({ number, type: 'varint', value: v[0] });
      i = v[1];
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (i + size > bytes.length) return undefined;
      fields.push({ number, type: wire === 1 ? 'fixed64' : 'fixed32', value: readFixed(bytes, i, size) });
      i += size;
    } else if (wire === 2) {
      const len = readVarint(bytes, i);
      if (!len) return undefined;
      const end = len[1] + len[0];
      if (end > bytes.length) return undefined;
      fields.push({ number, type: 'bytes', value: bytes.subarray(len[1], end) });
      i = end;
    } else {
      return undefined; // groups (3, 4) are deprecated; 6 and 7 do not exist
    }
    if (fields.length > MAX_FIELDS) return undefined;
  }
  return fields;
}
