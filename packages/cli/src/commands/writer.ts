export async function run(_argv: string[]): Promise<number> {
  console.error('candor writer: not built yet');
  return 1;
}
