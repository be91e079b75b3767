export async function benchScale(_flags: string[]): Promise<void> {
  console.log('bench scale: not built yet');
}
