export async function benchDashboard(_flags: string[]): Promise<void> {
  console.log('bench dashboard: not built yet');
}
