/**
 * Protobuf wire format read without a schema: field numbers and wire types only. Hand-written because it is
 * small and must be strict: anything that is not exactly a sequence of well-formed fields is rejected, so random
 * or encrypted bytes are not mistaken for a message.
 */
export type ProtoField =
  | { number: number; type: 'varint'; value: bigint }
  | { number: number; type: 'fixed64' | 'fixed32'; value: bigint }
  | { number: number; type: 'bytes'; value: Uint8Array };

/** Real schemas number their fields densely from 1; huge numbers in a parse mean the bytes were not protobuf. */
const MAX_FIELD_NUMBER = 20_000;
const MAX_FIELDS = 100_000;

function readVarint(bytes: Uint8Array, start: number): [bigint, number] | undefined {
  let result = 0n;
  let shift = 0n;
  for (let i = start; i < bytes.length && i < start + 10; i++) {
    const b = bytes[i] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, i + 1];
    shift += 7n;
  }
  return undefined;
}

function readFixed(bytes: Uint8Array, at: number, size: number): bigint {
  let value = 0n;
  for (let k = size - 1; k >= 0; k--) value = (value << 8n) | BigInt(bytes[at + k] as number);
  return value;
}

export function parseProtobuf(bytes: Uint8Array): ProtoField[] | undefined {
  if (bytes.length === 0) return undefined;
  const fields: ProtoField[] = [];
  let i = 0;
  while (i < bytes.length) {
    const tag = readVarint(bytes, i);
    if (!tag || tag[0] > 0xffffffffn) return undefined;
    const key = Number(tag[0]);
    const number = key >>> 3;
    const wire = key & 7;
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
      const end = len[1] + Number(len[0]);
      if (len[0] > BigInt(bytes.length) || end > bytes.length) return undefined;
      fields.push({ number, type: 'bytes', value: bytes.subarray(len[1], end) });
      i = end;
    } else {
      return undefined; // groups (3, 4) are deprecated; 6 and 7 do not exist
    }
    if (fields.length > MAX_FIELDS) return undefined;
  }
  return fields;
}
