import { detectPersonalData } from '@candor/audit';
import { describe, expect, it } from 'vitest';

function found(value: string, field?: string): string[] {
  return detectPersonalData(value, field).map((d) => `${d.category}/${d.detector}`);
}

describe('detectPersonalData', () => {
  it.each([
    ['jane.doe@example.org', undefined, 'contact/email'],
    ['write to jane.doe@example.org today', 'note', 'contact/email'],
    ['+49 170 1234567', undefined, 'contact/phone'],
    ['0170 1234567', 'phone_number', 'contact/phone'],
    ['490154203237518', undefined, 'hardware-id/imei'],
    ['310150123456789', 'imsi', 'hardware-id/imsi'],
    ['89014103211118510720', undefined, 'hardware-id/iccid'],
    ['A10000009296F2', undefined, 'hardware-id/meid'],
    ['3c:5a:b4:11:22:33', undefined, 'hardware-id/mac'],
    ['3C5AB4112233', 'wifi_mac', 'hardware-id/mac'],
    ['R58M123ABCD', 'ro.serialno', 'hardware-id/serial'],
    ['9774d56d682e549c', 'android_id', 'platform-id/android-id'],
    ['38400000-8cf0-11bd-b23e-10b96e40000d', 'gps_adid', 'platform-id/advertising-id'],
    ['6D92078A-8246-4BA4-AE5B-76104861E7DC', 'idfa', 'platform-id/advertising-id'],
    ['b49be4c6d5b60918bf27d1189d8f326d', 'email_md5', 'contact/hashed-email'],
    ['7f73355bf032dcbb8e5a3f51f1e4a8ba92ef1344de2d95382634cf91da6d6181', 'u_hem', 'contact/hashed-email'],
    ['fb.1.1686166419258.1182598534', 'fbp', 'persistent-id/tracker-id'],
    ['1032665442.1686166428', 'cid', 'persistent-id/tracker-id'],
    ['k-qkUhZm3MAGmQLYrpg5VeNSpBiwE9uONqDg29WA', 'external_user_id', 'persistent-id/tracker-id'],
    ['a2c1f0de4f0b9a1c8e1d8e7c', 'distinct_id', 'persistent-id/device-id-field'],
    ['jane_d', 'user_name', 'account-id/account-field'],
    ['https://www.example.com/account/settings?tab=2', 'url', 'browsing-history/url'],
    ['https://www.google.com/search?q=divorce+lawyer', undefined, 'search-query/url-search-param'],
    ['example.com/inbox/42', 'page_url', 'browsing-history/url'],
    ['divorce lawyer near me', 'search_word', 'search-query/search-field'],
    ['true', 'incognito', 'private-mode/private-mode-field'],
    ['false', 'is_private', 'private-mode/private-mode-field'],
    ['incognito', 'tab_type', 'private-mode/private-mode-value'],
    ['52.52437', 'lat', 'location/coordinate'],
    ['52.52437,13.41053', undefined, 'location/coordinate-pair'],
    ['com.android.settings', '_app_', 'app-activity/app-package'],
    ['com.whatsapp.app,com.tinder.android,org.telegram.messenger', 'x', 'app-activity/installed-apps'],
    ['open_folder', '_ev_', 'app-activity/ui-event'],
    ['Bohemian Rhapsody', 'track_name', 'media-activity/media-item'],
    [
      'Xiaomi/begonia/begonia:10/QP1A.190711.020/V12.0.3.0.QGGMIXM:user/release-keys',
      'fp',
      'device-fingerprint/build-fingerprint',
    ],
  ])('flags %j (field %s) as %s', (value, field, expected) => {
    expect(found(value, field)).toContain(expected);
  });

  it.each([
    // What candor's own reports carry: registry labels, enum values, days, versions, crash signatures.
    ['duckduckgo', 'metrics.search.engine_use.duckduckgo'],
    ['duckduckgo', 'metrics.settings.default_search_engine'],
    ['redmi note', 'system.modelFamily'],
    ['2026-11-22', 'day'],
    ['3.4', 'appVersion'],
    ['2026.11.1', 'registry'],
    ['candor-browser', 'app'],
    ['9f86d081884c7d65', 'crash.app.0.signature'],
    ['9f86d081884c7d65', 'metrics.crash.app.0.signature'],
    ['TypeError', 'crash.app.0.type'],
    ['new_tab', 'metrics.ui.menu_action.0.item'],
    ['large', 'metrics.settings.text_size'],
    ['android', 'system.os'],
    ['en', 'system.language'],
    ['0123456789abcdef0123456789abcdef', 'id'],
    ['daily', 'kind'],
    // Ordinary API content.
    ['1763781234567', 'ts'],
    ['https://api.example.com', 'endpoint'],
    ['image@2x.png', 'icon'],
    ['3.14159', 'ratio'],
    ['1.2.3.4567', 'version'],
    ['00000000-0000-0000-0000-000000000000', 'gps_adid'],
    ['02:00:00:00:00:00', 'mac'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'etag'],
    // The hash of an empty form field, an unfilled macro, a cookie string, a pixel id and sizes are not data.
    ['d41d8cd98f00b204e9800998ecf8427e', 'email_md5'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'em'],
    ['%DID%', 'user_id'],
    ['{{user_id}}', 'uid'],
    ['effcl@0.totcl@0', 'cookie'],
    ['490154203237518', 'id'],
    ['60', 'q'],
    ['1024x702', 'wd'],
    ['health, test, fertility, women', 'keywords'],
    ['https://www.googleapis.com/auth/userinfo.email', 'scope'],
    ['https://tags.bluekai.com/site/29001/sync?3rdpartyuserid=@USERID@', 'u'],
    ['123456789012345', 'order_number'],
    ['hello world', 'title'],
    ['query GetViewer { viewer { id name } }', 'query'],
    ['1920x1080', 'screen'],
    ['https://cdn.example.com/img/avatar.png', 'image'],
    ['https://app.example.com/oauth/callback?state=1', 'redirect_uri'],
  ])('does not flag %j (field %s)', (value, field) => {
    expect(found(value, field)).toEqual([]);
  });
});

describe('hostile long values (the collector runs these on every string it receives)', () => {
  // No timing assertion: a pattern that backtracks on these takes minutes and fails by the test timeout.
  it.each([
    ['local part', `${'a'.repeat(60_000)}@`, []],
    ['many dotted labels', `a@${'a.'.repeat(30_000)}1`, []],
    ['dashes', `x@${'a-'.repeat(30_000)}`, []],
    ['an address at the end', `${'a'.repeat(60_000)} jane@example.org`, ['contact/email']],
    ['many at signs', '@a'.repeat(30_000), []],
    ['a long URL host', `https://${'a'.repeat(60_000)}`, []],
    ['many digits and spaces', `+${'1 '.repeat(30_000)}`, ['contact/phone']],
    ['number pairs', '1.1111,'.repeat(9_000), ['location/coordinate-pair']],
  ])('%s', (_, value, expected) => {
    for (const field of [undefined, 'url', 'lat', 'package', 'phone', 'q']) {
      expect(found(value, field).filter((d) => !d.startsWith('search-query'))).toEqual(expected);
    }
  });
});
