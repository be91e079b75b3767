export async function run(_argv: string[]): Promise<number> {
  console.error('candor serve: not built yet');
  return 1;
}
