// Compiled (not run) by test/types.test.ts: with a registry declared through defineRegistry, metric names,
// labels, enumeration values and event extras are checked by the compiler. Each @ts-expect-error line must fail.
import { candorBrowserRegistry } from '@candor/protocol';
import { createCandor } from '@candor/sdk';

const c = createCandor({ registry: candorBrowserRegistry, collector: 'http://127.0.0.1:8080', appVersion: '1.0' });
c.counter('page_load.count').add();
c.labeledCounter('search.engine_use').add('google');
c.enumeration('settings.text_size').set('large');
c.event('ui.menu_action').record({ item: 'settings', from_toolbar: true });
c.timing('page_load.time').record(1);
c.memory('memory.js_heap').record(1);
c.site('page_load.time_by_site').record('https://example.com/', 1);
c.boolean('settings.dark_mode').set(true);
c.quantity('ui.open_tabs').set(1);
c.crash('crash.app').record(new Error('x'));
// @ts-expect-error a typo in a metric name
c.counter('page_load.cont');
// @ts-expect-error a metric of another type
c.counter('page_load.time');
// @ts-expect-error a label not in the registry
c.labeledCounter('search.engine_use').add('altavista');
// @ts-expect-error a value not in the registry
c.enumeration('settings.text_size').set('huge');
// @ts-expect-error an undeclared event extra
c.event('ui.menu_action').record({ query: 'words' });
// @ts-expect-error an extra value not in the registry
c.event('ui.menu_action').record({ item: 'delete_everything' });
