export async function benchSdk(_flags: string[]): Promise<void> {
  console.log('bench sdk: not built yet');
}
