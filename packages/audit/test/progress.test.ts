import { ProgressBar } from '@candor/audit';
import { expect, it } from 'vitest';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

it('draws a bar on a terminal and clears it when done', () => {
  const { stream, written } = fakeStream(true);
  const bar = new ProgressBar(4_000_000, stream);
  bar.advance(1_000_000);
  bar.finish();
  expect(written[0]).toMatch(/^\r\[#{8}\.{22}\]\s+25% 1\.0\/4\.0 MB$/);
  expect(written.at(-1)).toBe('\r\x1b[K');
});

it('stays silent when stderr is not a terminal (pipes, CI logs)', () => {
  const { stream, written } = fakeStream(false);
  const bar = new ProgressBar(4_000_000, stream);
  bar.advance(2_000_000);
  bar.finish();
  expect(written).toEqual([]);
});
