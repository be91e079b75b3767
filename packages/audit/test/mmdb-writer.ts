// Writes a tiny MaxMind DB (format 2.0, IPv4, 24-bit records) so the --geoip path can be tested against a real
// file read by the maxmind package. Only what a country database needs: maps, strings, unsigned ints, arrays.

type Value = string | number | Value[] | { [key: string]: Value };

function control(type: number, size: number): number[] {
  if (size >= 29) throw new Error('mmdb writer: values longer than 28 are not needed here');
  return type <= 7 ? [(type << 5) | size] : [size, type - 7];
}

function unsigned(value: number, type: number): number[] {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [...control(type, bytes.length), ...bytes];
}

function encode(value: Value, uintType = 6): number[] {
  if (typeof value === 'string') {
    const bytes = [...Buffer.from(value, 'utf8')];
    return [...control(2, bytes.length), ...bytes];
  }
  if (typeof value === 'number') return unsigned(value, uintType);
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap((v) => encode(v))];
  const entries = Object.entries(value);
  return [...control(7, entries.length), ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])];
}

interface TrieNode {
  children: [TrieNode | number | undefined, TrieNode | number | undefined];
}

/** Networks as ["161.117.0.0/16", "SG"]; returns the database bytes. */
export function buildCountryMmdb(networks: Array<[string, string]>): Buffer {
  const data: number[] = [];
  const offsets = new Map<string, number>();
  for (const [, country] of networks) {
    if (offsets.has(country)) continue;
    offsets.set(country, data.length);
    data.push(...encode({ country: { iso_code: country } }));
  }
  const root: TrieNode = { children: [undefined, undefined] };
  for (const [cidr, country] of networks) {
    const [address, bitsText] = cidr.split('/');
    const bits = Number(bitsText);
    const ip = (address ?? '').split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    let node = root;
    for (let i = 0; i < bits; i++) {
      const bit = Math.floor(ip / 2 ** (31 - i)) % 2;
      if (i === bits - 1) {
        node.children[bit] = -1 - (offsets.get(country) ?? 0); // negative marks a data offset
        break;
      }
      let next = node.children[bit];
      if (typeof next !== 'object') {
        next = { children: [undefined, undefined] };
        node.children[bit] = next;
      }
      node = next;
    }
  }
  const nodes: TrieNode[] = [];
  const queue = [root];
  while (queue.length) {
    const node = queue.shift() as TrieNode;
    nodes.push(node);
    for (const child of node.children) if (typeof child === 'object') queue.push(child);
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const record =
        child === undefined ? count : typeof child === 'object' ? nodes.indexOf(child) : count + 16 + (-1 - child);
      tree.writeUIntBE(record, i * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1763769600,
    database_type: 'candor-test-country',
    description: { en: 'test' },
    ip_version: 4,
    languages: ['en'],
    node_count: count,
    record_size: 24,
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    Buffer.from(data),
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    Buffer.from(metadata),
  ]);
}
