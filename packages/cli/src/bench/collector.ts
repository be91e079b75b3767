export async function benchCollector(_flags: string[]): Promise<void> {
  console.log('bench collector: not built yet');
}
