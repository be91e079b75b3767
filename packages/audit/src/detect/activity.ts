import { type FieldNames, fieldIs } from './fields.js';
import type { Detection } from './types.js';

/** Android package names are reverse DNS: they start with a top-level domain. */
const PACKAGE = /^(?:com|org|net|io|cn|me|tv|co|de|app|android|miui|ru|jp|in|uk|info|xyz)(?:\.[a-zA-Z_][\w]*){2,}$/;
const PACKAGE_IN_LIST = /\b(?:com|org|net|io|cn|android|miui)(?:\.[a-zA-Z_]\w*){2,}\b/g;
const APP_FIELDS = new Set([
  'package',
  'packagename',
  'pkg',
  'pkgname',
  'appname',
  'apps',
  'applist',
  'installedapps',
  'installedpackages',
  'openedapp',
  'launchedapp',
  'currentapp',
  'topapp',
  'foregroundapp',
  'targetapp',
  'apppackage',
  'frompkg',
  'topkg',
]);
const SCREEN_FIELDS = new Set([
  'activity',
  'activityname',
  'screen',
  'screenname',
  'folder',
  'foldername',
  'currentactivity',
  'currentscreen',
  'opened',
  'viewname',
  'scene',
  'launcher',
  'setting',
  'settingname',
]);
const EVENT_FIELDS = new Set(['ev', 'event', 'eventname', 'eventtype', 'action']);
const ACTIVITY_EVENT = /open|launch|swipe|click|tap|screen|folder|statusbar/i;
const MEDIA_FIELDS = new Set([
  'track',
  'trackname',
  'tracktitle',
  'song',
  'songname',
  'songtitle',
  'artist',
  'artistname',
  'album',
  'albumname',
  'videotitle',
  'videoid',
  'videoname',
  'mediatitle',
  'medianame',
  'nowplaying',
  'musicname',
  'musictitle',
  'playlist',
]);

export function detectActivity(value: string, names: FieldNames, out: Detection[]): void {
  if (value.length >= 40 && value.includes(',')) {
    PACKAGE_IN_LIST.lastIndex = 0;
    const found = value.match(PACKAGE_IN_LIST);
    if (found && new Set(found).size >= 3) {
      out.push({ category: 'app-activity', detector: 'installed-apps' });
      return;
    }
  }
  if (names.last === '') return;
  // A bare "app" is usually the sending app's own name; MIUI's "_app_" is the app that was opened.
  if (fieldIs(names, APP_FIELDS) || names.raw === '_app_') {
    if (PACKAGE.test(value)) out.push({ category: 'app-activity', detector: 'app-package' });
  } else if (fieldIs(names, SCREEN_FIELDS)) {
    // "1920x1080" under "screen" is a resolution (a device detail), not a screen someone opened.
    if (/[A-Za-z]/.test(value) && value.length <= 256 && !/^\d+\s*[x×*]\s*\d+$/.test(value))
      out.push({ category: 'app-activity', detector: 'screen' });
  } else if (fieldIs(names, EVENT_FIELDS)) {
    if (ACTIVITY_EVENT.test(value) && value.length <= 128) out.push({ category: 'app-activity', detector: 'ui-event' });
  } else if (fieldIs(names, MEDIA_FIELDS)) {
    if (/[\p{L}\p{N}]/u.test(value) && value.length <= 512)
      out.push({ category: 'media-activity', detector: 'media-item' });
  }
}
