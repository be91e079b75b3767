import { type CapturedRequest, type Finding, LiveAuditor, readEntry } from '@candor/audit';
import {
  type CompletedRequest,
  getLocal,
  type Mockttp,
  matchers,
  type OngoingRequest,
  requestSteps,
  webSocketSteps,
} from 'mockttp';
import type { CaptureCa } from './ca.js';
import { HarAppender } from './har-appender.js';
import { type HarEntry, harEntry, type SentRequest } from './har-entry.js';
import { reachesLoopbackFromAfar } from './local-guard.js';

/** What the session reports as traffic arrives. */
export interface CaptureListener {
  /** A request the app sent, with what the auditor found in it (often nothing). */
  request?(event: LiveRequest): void;
  /** A client refused the proxy's certificate for this host: the app probably pins its certificates. */
  pinned?(host: string): void;
  /** Something went wrong that does not stop the capture (a HAR write failed, say). */
  problem?(message: string): void;
}

export interface LiveRequest {
  method: string;
  url: string;
  host: string;
  domain: string;
  /** "1.1", "2.0", or "websocket" for a message sent on a WebSocket. */
  protocol: string;
  findings: Finding[];
}

export interface CaptureOptions {
  ca: CaptureCa;
  port: number;
  /** Where the HAR is appended. */
  out: string;
  /** Request bodies above this many bytes are forwarded but not kept or audited (default 16 MiB). */
  maxBodyBytes?: number;
  /** Extra CAs trusted for upstream servers, in PEM (tests use a local CA). */
  upstreamCAs?: string[];
  listener?: CaptureListener;
  /** Passed to the auditor, like `candor audit --known`. */
  known?: Array<{ name: string; value: string }>;
  /** Passed to the auditor, like `candor audit --first-party`. */
  firstParty?: string;
}

/**
 * Matches requests the loopback guard refuses. mockttp's callback matchers wait for the whole body, which would
 * hold every upload in memory before it is forwarded; this one decides on the addresses alone.
 */
class LoopbackGuard extends matchers.CallbackMatcher {
  constructor() {
    super(() => false);
  }

  override async matches(request: OngoingRequest): Promise<boolean> {
    return reachesLoopbackFromAfar(request);
  }

  override explain(): string {
    return 'asks for a loopback address from another device';
  }
}

interface OpenSocket {
  request: SentRequest;
  messages: NonNullable<SentRequest['socketMessages']>;
}

function rawPairs(raw: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  return raw.map(([name, value]) => [name, value]);
}

/**
 * An intercepting proxy session: mockttp terminates TLS with certificates from the user's capture CA and passes
 * every request on unchanged, HTTP/1.1, HTTP/2 and WebSocket alike. Each request the app sends is appended to the
 * HAR and run through the auditor as it arrives.
 */
export class CaptureSession {
  private readonly auditor: LiveAuditor;
  private readonly sockets = new Map<string, OpenSocket>();
  private readonly pinnedHosts = new Set<string>();
  private readonly droppedHosts = new Set<string>();
  private readonly interceptedHosts = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  requests = 0;

  private constructor(
    private readonly server: Mockttp,
    readonly har: HarAppender,
    private readonly listener: CaptureListener,
    options: Pick<CaptureOptions, 'known' | 'firstParty'>,
  ) {
    this.auditor = new LiveAuditor({ known: options.known, firstParty: options.firstParty });
  }

  static async start(options: CaptureOptions): Promise<CaptureSession> {
    const har = await HarAppender.open(options.out);
    const server = getLocal({
      https: { key: options.ca.key, cert: options.ca.cert },
      http2: true,
      // Nothing is replayed from memory: traffic is written out as it passes, so mockttp need not keep it.
      recordTraffic: false,
      maxBodySize: options.maxBodyBytes ?? 16 * 1024 * 1024,
      suggestChanges: false,
    });
    const session = new CaptureSession(server, har, options.listener ?? {}, options);
    const trusted = (options.upstreamCAs ?? []).map((cert) => ({ cert }));
    const refusal = "candor capture does not forward other devices to this computer's own services\n";
    await server.addRequestRule({
      matchers: [new LoopbackGuard()],
      steps: [new requestSteps.FixedResponseStep(403, 'Forbidden', refusal)],
    });
    await server.addWebSocketRule({
      matchers: [new LoopbackGuard()],
      steps: [new webSocketSteps.RejectWebSocketStep(403, 'Forbidden', {}, refusal)],
    });
    await server.forUnmatchedRequest().thenPassThrough({ additionalTrustedCAs: trusted });
    await server.forAnyWebSocket().thenPassThrough({ additionalTrustedCAs: trusted });
    await session.subscribe();
    try {
      await server.start(options.port);
    } catch (error) {
      await har.close();
      throw error;
    }
    return session;
  }

  get port(): number {
    return this.server.port;
  }

  private async subscribe(): Promise<void> {
    const server = this.server;
    await server.on(
      'request',
      this.guarded('a request', (request) => this.onRequest(request)),
    );
    await server.on(
      'websocket-request',
      this.guarded('a WebSocket', (request) => {
        const sent = this.sentRequest(request);
        const messages: OpenSocket['messages'] = [];
        this.sockets.set(request.id, { request: { ...sent, socketMessages: messages }, messages });
        this.report(sent, this.audit(harEntry(sent), -1), sent.httpVersion);
      }),
    );
    await server.on(
      'websocket-message-received',
      this.guarded('a WebSocket message', (message) => {
        const socket = this.sockets.get(message.streamId);
        if (!socket) return;
        const content = Buffer.from(message.content);
        const text = message.isBinary ? content.toString('base64') : content.toString('utf8');
        const sent = { time: message.eventTimestamp, text, binary: message.isBinary };
        socket.messages.push(sent);
        const alone = harEntry({ ...socket.request, body: new Uint8Array(), socketMessages: [sent] });
        const audited = this.audit(alone, -1);
        // The upgrade request's address and headers were audited already; only the message is new.
        audited.url = new URL(audited.url).origin;
        audited.headers = [];
        audited.cookies = [];
        this.report(socket.request, audited, 'websocket');
      }),
    );
    const closeSocket = (id: string) => {
      const socket = this.sockets.get(id);
      if (!socket) return;
      this.sockets.delete(id);
      this.track(
        this.write(
          harEntry(socket.request, { status: 101, statusText: 'Switching Protocols', rawHeaders: [], bodySize: 0 }),
        ),
      );
    };
    await server.on(
      'websocket-close',
      this.guarded('a WebSocket', (close) => closeSocket(close.streamId)),
    );
    await server.on(
      'abort',
      this.guarded('a WebSocket', (aborted) => closeSocket(aborted.id)),
    );
    await server.on('tls-client-error', (failure) => {
      const host = failure.tlsMetadata.sniHostname ?? failure.destination?.hostname ?? failure.remoteIpAddress ?? '?';
      // An explicit "bad certificate" or "unknown CA" alert is a refusal. A client that completes the handshake
      // and hangs up without a request (OkHttp's pinner does this) or resets it may be pinning too, or may
      // just have given up a spare connection, so those are only listed in the summary.
      if (failure.failureCause === 'closed' || failure.failureCause === 'reset') {
        this.droppedHosts.add(host);
        return;
      }
      if (failure.failureCause !== 'cert-rejected' || this.pinnedHosts.has(host)) return;
      this.pinnedHosts.add(host);
      this.listener.pinned?.(host);
    });
  }

  /**
   * Wraps an event handler so that a request it cannot handle is reported and the capture goes on: traffic is
   * whatever the device sends, and one odd request must not end the session.
   */
  private guarded<T>(what: string, handler: (event: T) => void | Promise<void>): (event: T) => void {
    const fail = (error: unknown) =>
      this.listener.problem?.(`could not handle ${what}: ${error instanceof Error ? error.message : String(error)}`);
    return (event) => {
      try {
        const result = handler(event);
        if (result) this.track(result.catch(fail));
      } catch (error) {
        fail(error);
      }
    };
  }

  /** Hosts whose clients refused the proxy's certificate, in the order first seen. */
  get pinned(): string[] {
    return [...this.pinnedHosts];
  }

  /** Hosts whose clients hung up during or right after the handshake and never had a request read. */
  get dropped(): string[] {
    return [...this.droppedHosts].filter((host) => !this.pinnedHosts.has(host) && !this.interceptedHosts.has(host));
  }

  private sentRequest(request: CompletedRequest): SentRequest {
    const rawHeaders = rawPairs(request.rawHeaders);
    const body = request.body.buffer;
    const declared = Number(request.headers['content-length'] ?? 0);
    const chunked = /chunked/i.test(String(request.headers['transfer-encoding'] ?? ''));
    return {
      method: request.method,
      url: request.url,
      httpVersion: request.httpVersion,
      rawHeaders,
      body,
      // mockttp empties a body that went over maxBodySize; a declared length (or chunking) says there was one.
      bodyDropped: body.length === 0 && (declared > 0 || chunked),
      startedAt: new Date(request.timingEvents.startTime),
    };
  }

  private async onRequest(request: CompletedRequest): Promise<void> {
    const sent = this.sentRequest(request);
    const entry = harEntry(sent);
    // Written as soon as the app has sent it, so a crash later loses nothing the app sent.
    const index = this.har.entries;
    const written = this.write(entry);
    this.report(sent, this.audit(entry, index), sent.httpVersion);
    await written;
  }

  private audit(entry: HarEntry, index: number): CapturedRequest {
    return readEntry(entry, this.har.path, index, 0, 0);
  }

  private report(sent: SentRequest, captured: CapturedRequest, protocol: string): void {
    this.requests++;
    const inspection = this.auditor.inspect(captured);
    this.interceptedHosts.add(inspection.host);
    this.listener.request?.({
      method: sent.method,
      url: sent.url,
      host: inspection.host,
      domain: inspection.domain,
      protocol,
      findings: inspection.findings,
    });
  }

  private write(entry: HarEntry): Promise<void> {
    return this.har.append(entry).catch((error: unknown) => {
      this.listener.problem?.(`could not write to ${this.har.path}: ${(error as Error).message}`);
    });
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Stops the proxy, writes WebSockets still open, and closes the HAR. */
  async stop(): Promise<void> {
    await this.server.stop();
    for (const id of [...this.sockets.keys()]) {
      const socket = this.sockets.get(id);
      if (!socket) continue;
      this.sockets.delete(id);
      this.track(
        this.write(
          harEntry(socket.request, { status: 101, statusText: 'Switching Protocols', rawHeaders: [], bodySize: 0 }),
        ),
      );
    }
    await Promise.all([...this.pending]);
    await this.har.close();
  }
}
