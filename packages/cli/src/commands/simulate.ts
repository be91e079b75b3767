export async function run(_argv: string[]): Promise<number> {
  console.error('candor simulate: not built yet');
  return 1;
}
