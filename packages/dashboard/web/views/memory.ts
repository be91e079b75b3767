import { fetchDictionary } from '../api.js';
import { askAll, percentileFigure, section, shareFigure, sumFigure, type ViewContext } from './kit.js';

export async function renderMemory(ctx: ViewContext): Promise<void> {
  const dictionary = fetchDictionary(ctx.signal);
  const [heapByDay, heapByModel, warnings, memoryClass] = await askAll(ctx, [
    ['memory.js_heap', 'day'],
    ['memory.js_heap', 'modelFamily'],
    ['memory.low_memory_warnings', 'day'],
    ['system.memory_class', 'value'],
  ]);
  const grid = section(ctx, 'Heap size and memory pressure');
  percentileFigure(grid, 'JavaScript heap per day', heapByDay, {
    keyTitle: 'Day',
    description: 'Heap size sampled once a minute on each device.',
  });
  percentileFigure(grid, 'JavaScript heap by model family', heapByModel, { keyTitle: 'Model family', rank: true });
  sumFigure(grid, 'Low-memory warnings per day', warnings, { keyTitle: 'Day', valueTitle: 'warnings' });
  // Memory classes read smallest to largest, as the registry lists them.
  const classes = (await dictionary).metrics.find((m) => m.name === 'system.memory_class')?.values;
  shareFigure(grid, 'Device memory class', memoryClass, {
    keyTitle: 'Memory class',
    ...(classes ? { order: classes } : {}),
    description: 'Rounded to four classes, never the exact amount.',
  });
}
