import type { CaptureCa } from './ca.js';

/** `candor capture ca`: where the CA is and how each kind of client is made to trust it. */
export function caInstructions(ca: CaptureCa, port: number): string {
  return `candor capture CA${ca.created ? ' (generated now)' : ''}
  certificate: ${ca.certPath}
  private key: ${ca.keyPath}  (mode 600, yours alone; never copy it to another computer or person)

Install the certificate (never the key) on the device whose traffic you capture, point the device's proxy at this
computer, port ${port}, then run "candor capture". Remove the certificate when you are done.
Step by step, with what can go wrong: docs/capture.md.

Android phone (7 and later):
  1. Copy ${ca.certPath} to the phone (adb push ${ca.certPath} /sdcard/Download/candor-ca.crt).
  2. Settings > Security > Encryption & credentials > Install a certificate > CA certificate, pick the file.
  3. Wi-Fi > your network > Proxy: Manual, host = this computer's address, port ${port}.
  Android 7+ apps trust user CAs only if their network security config says so: browsers and debug builds do;
  for your own app add <debug-overrides><trust-anchors><certificates src="user"/></trust-anchors></debug-overrides>
  to res/xml/network_security_config.xml. Other apps need a rooted phone or emulator (system CA, below).

Android emulator (system CA, so every app trusts it; use a Google APIs image, not Google Play):
  hash=$(openssl x509 -inform PEM -subject_hash_old -in ${ca.certPath} -noout)
  cp ${ca.certPath} $hash.0
  emulator -avd NAME -writable-system -http-proxy http://127.0.0.1:${port}
  adb root && adb remount && adb push $hash.0 /system/etc/security/cacerts/ && adb reboot
  (Android 14+: the CAs live in the com.android.conscrypt APEX; see docs/capture.md.)

iOS / iPadOS:
  1. Send ${ca.certPath} to the device (AirDrop, mail, or a web server) and open it; allow the profile.
  2. Settings > General > VPN & Device Management > the candor profile > Install.
  3. Settings > General > About > Certificate Trust Settings > turn on full trust for it.
  4. Settings > Wi-Fi > (i) > Configure Proxy > Manual: this computer's address, port ${port}.

Firefox (its own certificate store):
  Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import ${ca.certPath},
  tick "Trust this CA to identify websites"; Settings > Network Settings > Manual proxy 127.0.0.1:${port},
  "Also use this proxy for HTTPS".

Chrome / Chromium (a separate profile, so your everyday browsing is not affected):
  chromium --user-data-dir=/tmp/candor-profile --proxy-server=127.0.0.1:${port} \\
    --ignore-certificate-errors-spki-list=$(openssl x509 -in ${ca.certPath} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
  or import it under Settings > Privacy and security > Security > Manage certificates > Authorities.`;
}
