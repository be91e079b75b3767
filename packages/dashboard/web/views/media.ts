import { askAll, percentileFigure, section, sumFigure, type ViewContext } from './kit.js';

export async function renderMedia(ctx: ViewContext): Promise<void> {
  const [tracks, source, listening] = await askAll(ctx, [
    ['media.tracks_played', 'day'],
    ['media.source', 'label'],
    ['media.listening_time', 'day'],
  ]);
  const grid = section(ctx, 'Music', 'How much music is played and from where. Never which tracks, or when.');
  sumFigure(grid, 'Tracks played per day', tracks, { keyTitle: 'Day', valueTitle: 'tracks' });
  sumFigure(grid, 'Tracks by source', source, { keyTitle: 'Source', valueTitle: 'tracks' });
  percentileFigure(grid, 'Listening session length per day', listening, { keyTitle: 'Day' });
}
