export async function run(_argv: string[]): Promise<number> {
  console.error('candor audit: not built yet');
  return 1;
}
