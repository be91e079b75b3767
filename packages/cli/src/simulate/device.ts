import type { createCandor } from '@candor/sdk';
import { APP_VERSIONS, DEVICE_MODELS, LANGUAGES, SEARCH_ENGINES, SEARCH_METHODS, SITES } from './population.js';
import { logNormal, pick, pickWeighted } from './random.js';

export type Candor = ReturnType<typeof createCandor>;

/** What one simulated phone is: fixed for its life, like a real phone's hardware and its owner's habits. */
export interface PhoneProfile {
  model: string;
  modelFamily: string;
  os: 'android' | 'ios';
  osMajor: number;
  language: string;
  appVersion: string;
  /** Low-end phones load pages more slowly and run short of memory. */
  speedFactor: number;
  consents: boolean;
  /** Share of this owner's browsing done in private mode. */
  privateShare: number;
  listensToMusic: boolean;
}

export function randomProfile(random: () => number): PhoneProfile {
  const device = pickWeighted(random, DEVICE_MODELS);
  const language = pickWeighted(random, LANGUAGES);
  return {
    model: device.model,
    modelFamily: device.modelFamily,
    os: device.os === 'ios' ? 'ios' : 'android',
    osMajor: device.osMajor,
    language: `${language}-${language === 'en' ? 'GB' : language.toUpperCase()}`,
    appVersion: pickWeighted(random, APP_VERSIONS),
    speedFactor: device.modelFamily === 'redmi note' || device.modelFamily === 'galaxy a' ? 1.6 : 1,
    consents: random() < 0.85,
    privateShare: random() < 0.3 ? 0.25 : 0,
    listensToMusic: random() < 0.4,
  };
}

/** Counts of what the simulated people did, to show beside what reached the collector. */
export interface ActivityTally {
  pageLoads: number;
  privatePageLoads: number;
  searches: number;
  settingsChanges: number;
  featureUses: number;
  tracksPlayed: number;
  crashes: number;
}

export function emptyTally(): ActivityTally {
  return {
    pageLoads: 0,
    privatePageLoads: 0,
    searches: 0,
    settingsChanges: 0,
    featureUses: 0,
    tracksPlayed: 0,
    crashes: 0,
  };
}

// Real functions that really throw, so crash signatures come from real stack frames of "the app".
function decodeImageTile(width: number): number {
  const buffer = new Uint8Array(width);
  return (buffer as unknown as { missing: { length: number } }).missing.length;
}
function restoreTabs(count: number): unknown[] {
  return new Array(-count);
}
function parseBookmarksFile(text: string): unknown {
  return JSON.parse(text);
}
const CRASHERS: readonly (readonly [() => unknown, number])[] = [
  [() => decodeImageTile(64), 5],
  [() => restoreTabs(3), 3],
  [() => parseBookmarksFile('{"folders": [1, 2,'), 2],
];

/** One simulated phone: an owner doing what the case describes, through the real SDK. */
export class SimulatedPhone {
  readonly tally = emptyTally();

  constructor(
    readonly profile: PhoneProfile,
    readonly candor: Candor,
    private readonly random: () => number,
  ) {}

  /** Things that are set once and reported with every report. */
  describeDevice(): void {
    const { candor, random } = this;
    candor.enumeration('system.screen_class').set(pick(random, ['small', 'medium', 'medium', 'large', 'tablet']));
    candor
      .enumeration('system.memory_class')
      .set(this.profile.speedFactor > 1 ? 'under_3gb' : pick(random, ['3_to_6gb', '6_to_8gb', 'over_8gb']));
    candor.boolean('settings.dark_mode').set(random() < 0.4);
    candor.boolean('settings.ad_blocking').set(random() < 0.25);
    candor.enumeration('settings.text_size').set(
      pickWeighted(random, [
        ['default', 80],
        ['large', 12],
        ['small', 5],
        ['largest', 3],
      ] as const),
    );
    candor.enumeration('settings.default_search_engine').set(pickWeighted(random, SEARCH_ENGINES));
  }

  /** One minute of use: some browsing, maybe a search, a setting, a feature, music, and rarely a crash. */
  async actOneMinute(): Promise<void> {
    const { random } = this;
    const inPrivate = random() < this.profile.privateShare;
    if (inPrivate) {
      // Private browsing: the SDK must record none of it.
      await this.candor.withPrivate(async () => {
        this.browse(1 + Math.floor(random() * 3), true);
        if (random() < 0.5) this.search(true);
      });
    } else {
      this.browse(Math.floor(random() * 4), false);
      if (random() < 0.35) this.search(false);
    }
    if (random() < 0.08) this.changeSetting();
    if (random() < 0.3) this.useFeature();
    if (this.profile.listensToMusic && random() < 0.3) this.playMusic();
    this.candor.memory('memory.js_heap').record(logNormal(random, 90_000 * this.profile.speedFactor, 0.35));
    if (this.profile.speedFactor > 1 && random() < 0.02) this.candor.counter('memory.low_memory_warnings').add();
    this.candor.quantity('ui.open_tabs').set(Math.floor(logNormal(random, 6, 0.8)));
    if (random() < 0.01 * (this.profile.appVersion.includes('beta') ? 3 : 1)) this.crash();
  }

  private browse(pages: number, inPrivate: boolean): void {
    for (let i = 0; i < pages; i++) {
      const site = pickWeighted(
        this.random,
        SITES.map((s) => [s, s.weight] as const),
      );
      const url = pick(this.random, site.urls);
      const ms = Math.round(logNormal(this.random, site.medianLoadMs * this.profile.speedFactor, 0.45));
      this.candor.site('page_load.time_by_site').record(url, ms);
      this.candor.timing('page_load.time').record(ms);
      this.candor.counter('page_load.count').add();
      if (inPrivate) this.tally.privatePageLoads++;
      else this.tally.pageLoads++;
    }
  }

  private search(inPrivate: boolean): void {
    // The owner typed words; only the engine and where the search started are ever recorded.
    this.candor.labeledCounter('search.engine_use').add(pickWeighted(this.random, SEARCH_ENGINES));
    this.candor.labeledCounter('search.method').add(pickWeighted(this.random, SEARCH_METHODS));
    if (!inPrivate) this.tally.searches++;
  }

  private changeSetting(): void {
    const { candor, random } = this;
    if (random() < 0.5) candor.boolean('settings.dark_mode').set(random() < 0.5);
    else candor.enumeration('settings.text_size').set(pick(random, ['small', 'default', 'large', 'largest']));
    this.tally.settingsChanges++;
  }

  private useFeature(): void {
    const { candor, random } = this;
    candor
      .labeledCounter('ui.feature_used')
      .add(pick(random, ['bookmarks', 'downloads', 'history', 'reader_mode', 'share', 'translate', 'tabs_grid']));
    if (random() < 0.4) {
      candor.event('ui.menu_action').record({
        item: pick(random, ['new_tab', 'settings', 'downloads', 'bookmarks', 'history', 'exit']),
        from_toolbar: random() < 0.3,
      });
    }
    this.tally.featureUses++;
  }

  private playMusic(): void {
    const tracks = 1 + Math.floor(this.random() * 4);
    this.candor.counter('media.tracks_played').add(tracks);
    this.candor.labeledCounter('media.source').add(
      pickWeighted(this.random, [
        ['local_file', 5],
        ['streaming', 4],
        ['radio', 1],
      ] as const),
      tracks,
    );
    this.candor.timing('media.listening_time').record(tracks * logNormal(this.random, 200_000, 0.3));
    this.tally.tracksPlayed += tracks;
  }

  private crash(): void {
    try {
      pickWeighted(this.random, CRASHERS)();
    } catch (error) {
      this.candor.crash('crash.app').record(error);
      this.tally.crashes++;
    }
  }
}
