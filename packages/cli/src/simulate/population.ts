import type { SystemInfo } from '@candor/protocol';

/**
 * Who the simulated phones are and what their owners do, modelled on the phones in the case: mostly Android
 * phones of a few big model families, a long tail of rare models (which the collector must suppress), several
 * languages, and people who browse, search, change settings, play music and sometimes browse privately.
 */
export const DEVICE_MODELS: readonly (readonly [SystemInfo & { model: string }, number])[] = [
  [{ model: 'Redmi Note 8 Pro', modelFamily: 'redmi note', os: 'android', osMajor: 13, language: 'en' }, 22],
  [{ model: 'Redmi Note 12', modelFamily: 'redmi note', os: 'android', osMajor: 14, language: 'en' }, 14],
  [{ model: 'Mi 10', modelFamily: 'mi', os: 'android', osMajor: 13, language: 'en' }, 12],
  [{ model: 'POCO X5', modelFamily: 'poco', os: 'android', osMajor: 14, language: 'en' }, 10],
  [{ model: 'Galaxy A54', modelFamily: 'galaxy a', os: 'android', osMajor: 14, language: 'en' }, 12],
  [{ model: 'Pixel 8', modelFamily: 'pixel', os: 'android', osMajor: 15, language: 'en' }, 8],
  [{ model: 'iPhone 15', modelFamily: 'iphone', os: 'ios', osMajor: 18, language: 'en' }, 10],
  // Rare models: too few device-days to pass partition selection, so no release ever names them.
  [{ model: 'Mi Mix Fold 3', modelFamily: 'mi mix fold', os: 'android', osMajor: 14, language: 'en' }, 0.6],
  [{ model: 'Xperia 1 V', modelFamily: 'xperia', os: 'android', osMajor: 14, language: 'en' }, 0.5],
];

export const LANGUAGES: readonly (readonly [string, number])[] = [
  ['en', 40],
  ['es', 15],
  ['hi', 12],
  ['ru', 10],
  ['id', 8],
  ['zh', 8],
  ['pt', 7],
];

/** App versions as the app knows them; the SDK coarsens them to major.minor. */
export const APP_VERSIONS: readonly (readonly [string, number])[] = [
  ['3.4.0', 30],
  ['3.5.2', 50],
  ['3.6.0-beta.1', 20],
];

/**
 * Sites people visit, by popularity, with a typical load time. The addresses carry what the case's phones
 * leaked (search words, e-mail addresses, tokens, paths); the SDK must reduce each to its registrable domain.
 */
export interface SiteProfile {
  weight: number;
  medianLoadMs: number;
  urls: readonly string[];
}
export const SITES: readonly SiteProfile[] = [
  {
    weight: 30,
    medianLoadMs: 450,
    urls: ['https://www.google.com/search?q=divorce+lawyer+near+me', 'https://www.google.com/maps/place/clinic'],
  },
  {
    weight: 18,
    medianLoadMs: 1400,
    urls: ['https://m.youtube.com/watch?v=dQw4w9WgXcQ', 'https://www.youtube.com/results?search_query=fever+baby'],
  },
  {
    weight: 14,
    medianLoadMs: 900,
    urls: ['https://en.wikipedia.org/wiki/Anxiety', 'https://es.m.wikipedia.org/wiki/Diabetes'],
  },
  { weight: 10, medianLoadMs: 2600, urls: ['https://news.bbc.co.uk/news/world-12345', 'https://www.bbc.co.uk/sport'] },
  { weight: 9, medianLoadMs: 3200, urls: ['https://www.amazon.in/dp/B0C1234?tag=x&ref=pd', 'https://amazon.in/cart'] },
  { weight: 7, medianLoadMs: 1800, urls: ['https://mail.example-webmail.com/inbox?user=maria.garcia@example.com'] },
  {
    weight: 6,
    medianLoadMs: 5200,
    urls: ['https://www.slow-news-portal.com/article/2026/11/elections?session=abc123'],
  },
  { weight: 5, medianLoadMs: 700, urls: ['https://duckduckgo.com/?q=hiv+test+anonymous'] },
  { weight: 4, medianLoadMs: 1200, urls: ['https://bank.example.co.uk/login?token=eyJhbGciOi'] },
  // The long tail: visited by a few people each, so no dashboard may show them.
  { weight: 0.02, medianLoadMs: 2000, urls: ['https://tiny-personal-blog.net/posts/my-diagnosis'] },
  { weight: 0.01, medianLoadMs: 2500, urls: ['https://small-town-clinic.org/appointments?patient=4711'] },
  // Never leaves the device at all: not a registrable domain.
  {
    weight: 0.5,
    medianLoadMs: 300,
    urls: ['http://192.168.1.1/admin', 'file:///sdcard/Download/payslip.pdf', 'http://localhost:8080/'],
  },
];

export const SEARCH_ENGINES: readonly (readonly [string, number])[] = [
  ['google', 55],
  ['bing', 10],
  ['duckduckgo', 8],
  ['baidu', 6],
  ['yandex', 8],
  ['ecosia', 3],
  ['other', 2],
];
export const SEARCH_METHODS: readonly (readonly [string, number])[] = [
  ['address_bar', 60],
  ['search_box', 20],
  ['suggestion', 12],
  ['voice', 6],
  ['context_menu', 2],
];
