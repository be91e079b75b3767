/**
 * Stream sequence sets written compactly as ranges ("3-7,9,12-15"). The ingest marker of an insert lists the
 * JetStream sequences whose reports it holds, so a redelivered message can be recognised as already stored.
 */
export function encodeSequences(sequences: readonly number[]): string {
  const sorted = [...new Set(sequences)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

export function decodeSequences(text: string): number[] {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`malformed sequence range "${part}" in ingest marker`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    for (let s = start; s <= end; s++) out.push(s);
  }
  return out;
}
