/** The live view's single page: no build step, no external assets; text is set with textContent only. */
export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>candor capture: live</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
  h1 { font-size: 1.2rem; }
  #status { color: #555; }
  section { border: 1px solid #ccc; border-radius: 6px; margin: 0.8rem 0; padding: 0.5rem 0.8rem; }
  section h2 { font-size: 1rem; margin: 0.2rem 0; }
  .pinned { background: #fff6e0; }
  .finding { font-family: ui-monospace, monospace; font-size: 12px; margin: 0.15rem 0; word-break: break-all; }
  .critical, .high { color: #a40000; } .medium { color: #8a5a00; } .low, .info { color: #444; }
</style>
</head>
<body>
<h1>candor capture: live findings by destination</h1>
<p id="status">waiting for traffic…</p>
<div id="pins"></div>
<div id="domains"></div>
<script>
const domains = new Map();
let requests = 0, findings = 0;
const status = document.getElementById('status');
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function group(domain) {
  let g = domains.get(domain);
  if (!g) {
    const box = el('section'); const head = el('h2'); box.append(head);
    g = { box, head, requests: 0, findings: 0 };
    domains.set(domain, g);
    document.getElementById('domains').prepend(box);
  }
  return g;
}
const source = new EventSource('/events');
source.onmessage = (message) => {
  const event = JSON.parse(message.data);
  if (event.kind === 'pinned') {
    document.getElementById('pins').append(el('section', 'pinned', event.host + ': the client refused the certificate (probably pinned); its traffic cannot be read'));
    return;
  }
  requests++;
  const g = group(event.domain || event.host);
  g.requests++;
  for (const f of event.findings) {
    findings++; g.findings++;
    g.box.append(el('div', 'finding ' + f.severity, f.severity.toUpperCase() + ' ' + f.category + '/' + f.detector + '  ' + event.method + ' ' + event.host + '  ' + f.location + ':' + (f.field || '(whole)') + '  = ' + f.evidence));
  }
  g.head.textContent = (event.domain || event.host) + ': ' + g.requests + ' request(s), ' + g.findings + ' finding(s)';
  if (g.findings > 0) document.getElementById('domains').prepend(g.box);
  status.textContent = requests + ' request(s), ' + findings + ' finding(s) so far';
};
source.onerror = () => { status.textContent = 'disconnected: the capture has stopped'; };
</script>
</body>
</html>
`;
