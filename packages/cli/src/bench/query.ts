export async function benchQuery(_flags: string[]): Promise<void> {
  console.log('bench query: not built yet');
}
