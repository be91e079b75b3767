export async function run(_argv: string[]): Promise<number> {
  console.error('candor keys: not built yet');
  return 1;
}
