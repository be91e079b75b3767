// A note-taking page that reports three metrics from metrics.yaml to a collector on another origin. Nothing is
// recorded until the person ticks the consent box; what was sent is shown on the page.
import { createCandor, defineTransparencyLogElement } from '@candor/sdk';
import { notesWebRegistry } from './metrics.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
// ?collector= overrides the meta tag, so one build can be pointed at a local `candor tail`.
const collector =
  new URLSearchParams(location.search).get('collector') ??
  document.querySelector<HTMLMetaElement>('meta[name="candor-collector"]')?.content ??
  'http://127.0.0.1:8080';

const candor = createCandor({
  registry: notesWebRegistry,
  collector,
  appVersion: '2.1.0',
  consent: { regime: 'opt-in' },
  mode: new URLSearchParams(location.search).has('dev') ? 'development' : 'production',
});
defineTransparencyLogElement(candor);

const status = byId<HTMLOutputElement>('status');
const consent = byId<HTMLInputElement>('consent');
consent.checked = candor.consent === 'granted';
consent.addEventListener('change', () => candor.setConsent(consent.checked ? 'granted' : 'denied'));

candor.timing('editor.load_time').record(Math.round(performance.now()));
candor.enumeration('editor.theme').set(matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

byId('save').addEventListener('click', () => {
  candor.counter('editor.notes_created').add();
  byId<HTMLTextAreaElement>('note').value = '';
});

// Reports go once a day, after the day ends. With ?dev (development mode) this button ends the day early, so
// an integration can be seen at once; in production it sends whatever earlier day is still waiting.
byId('send').addEventListener('click', async () => {
  status.value = 'sending…';
  await candor.flush({ endDay: new URLSearchParams(location.search).has('dev') });
  const last = candor.transparencyLog().at(-1);
  status.value = last ? `${last.status} (HTTP ${last.httpStatus})` : 'nothing to send (no consent?)';
});
