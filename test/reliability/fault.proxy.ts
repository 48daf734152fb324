import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Whether the proxy answers one entry of a batch publish as failed. `attempt` counts the times
 * the proxy has seen this event id, 1 the first time.
 */
export type EntryFault = (eventId: string, attempt: number) => boolean;

/** One entry of a PublishBatch, Publish or PutEvents request, as the proxy saw it. */
export interface EntrySeen {
  readonly action: 'PublishBatch' | 'Publish' | 'PutEvents';
  readonly eventId: string;
  readonly attempt: number;
  readonly failed: boolean;
}

/** Traffic of one window of time (between two mode changes), by the window's label. */
export interface WindowStats {
  /** TCP connections opened. */
  connections: number;
  /** HTTP requests (attempts: the SDK's own retries count one each), during an outage too. */
  requests: number;
  /** Requests by API action (`ReceiveMessage`, `PublishBatch`, …). */
  readonly actions: Record<string, number>;
  readonly startedAt: number;
  endedAt?: number;
}

type Mode = 'pass' | 'outage' | 'partial';
type Reply = { status: number; headers: IncomingHttpHeaders; body: Buffer };

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const INJECTED = 'injected by the fault proxy';
const MEMBER = /^PublishBatchRequestEntries\.member\.(\d+)\.(.+)$/;

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The API action of a request: JSON protocols name it in a header, the query protocol in the body. */
function actionOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  if (String(req.headers['content-type']).includes('x-www-form-urlencoded')) {
    return new URLSearchParams(body.toString()).get('Action') ?? 'unknown';
  }
  return 'unknown';
}

function eventIdOf(json: string | null | undefined): string {
  try {
    const id = (JSON.parse(json ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? id : '?';
  } catch {
    return '?';
  }
}

/**
 * An HTTP proxy on loopback in front of an emulator, for the reliability scenarios. `pass`
 * forwards; `outage` resets every open connection and every request that arrives (counted by
 * action first), as a broker that went away would: fauxqs keeps its state in memory, so stopping
 * it for real would lose the queues. `partial` answers chosen entries of SNS PublishBatch and
 * Publish (AWS query protocol, XML) and EventBridge PutEvents (JSON 1.1) as failed and forwards
 * the others, as the brokers do under partial failure.
 */
export class FaultProxy {
  readonly entries: EntrySeen[] = [];
  readonly windows = new Map<string, WindowStats>();
  private mode: Mode = 'pass';
  private fault: EntryFault = () => false;
  private window: WindowStats;
  private readonly attempts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  private constructor(
    private readonly server: Server,
    private readonly upstream: URL,
  ) {
    this.window = this.open('pass');
    server.on('connection', (socket) => {
      this.window.connections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const window = this.window;
        window.requests++;
        const action = actionOf(req, body);
        window.actions[action] = (window.actions[action] ?? 0) + 1;
        // Read first, so that the attempt is counted by action; then the connection is reset,
        // which the client sees as it would a broker that went away.
        if (this.mode === 'outage') req.socket.destroy();
        else this.route(req, body, res).catch(() => res.destroy());
      });
    });
  }

  static async start(upstream: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FaultProxy(server, new URL(upstream));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  pass(label = 'pass'): void {
    this.switchTo('pass', label);
  }

  partial(fault: EntryFault, label = 'partial'): void {
    this.fault = fault;
    this.switchTo('partial', label);
  }

  /** Resets every open connection and every new one until the next mode change. */
  outage(label = 'outage'): void {
    this.switchTo('outage', label);
    for (const socket of this.sockets) socket.destroy();
  }

  get inOutage(): boolean {
    return this.mode === 'outage';
  }

  stats(label: string): WindowStats {
    const stats = this.windows.get(label);
    if (!stats) throw new Error(`The fault proxy had no window "${label}"`);
    return stats;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private open(label: string): WindowStats {
    const stats: WindowStats = { connections: 0, requests: 0, actions: {}, startedAt: Date.now() };
    this.windows.set(label, stats);
    return stats;
  }

  private switchTo(mode: Mode, label: string): void {
    this.window.endedAt = Date.now();
    this.mode = mode;
    this.window = this.open(label);
  }

  private async route(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    let reply: Reply | undefined;
    if (this.mode === 'partial') {
      if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
        reply = await this.putEvents(req, body);
      } else if (String(req.headers['content-type']).includes('x-www-form-urlencoded')) {
        const params = new URLSearchParams(body.toString());
        if (params.get('Action') === 'PublishBatch') reply = await this.publishBatch(req, params);
        if (params.get('Action') === 'Publish') reply = await this.publish(req, params, body);
      }
    }
    reply ??= await this.forward(req, body, res);
    const headers = { ...reply.headers, 'content-length': String(reply.body.length) };
    delete headers['transfer-encoding'];
    res.writeHead(reply.status, headers).end(reply.body);
  }

  /** Sends the request on to the emulator; gives up on it when the client goes away. */
  private forward(req: IncomingMessage, body: Buffer, res?: ServerResponse): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      let done = false;
      const upstream = request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            done = true;
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(chunks),
            });
          });
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      // A long poll whose client went away (an outage, a stopping consumer) is dropped upstream too.
      res?.on('close', () => {
        if (!done) upstream.destroy();
      });
      upstream.end(body);
    });
  }

  private see(action: EntrySeen['action'], eventId: string): boolean {
    const attempt = (this.attempts.get(eventId) ?? 0) + 1;
    this.attempts.set(eventId, attempt);
    const failed = this.fault(eventId, attempt);
    this.entries.push({ action, eventId, attempt, failed });
    return failed;
  }

  private async publishBatch(req: IncomingMessage, params: URLSearchParams): Promise<Reply> {
    const base = new URLSearchParams();
    const members = new Map<number, Array<[string, string]>>();
    for (const [key, value] of params) {
      const match = MEMBER.exec(key);
      if (!match) base.append(key, value);
      else
        members.set(Number(match[1]), [
          ...(members.get(Number(match[1])) ?? []),
          [match[2], value],
        ]);
    }
    const failed: string[] = [];
    let kept = 0;
    for (const index of [...members.keys()].sort((a, b) => a - b)) {
      const fields = new Map(members.get(index));
      if (this.see('PublishBatch', eventIdOf(fields.get('Message')))) {
        failed.push(
          `<member><Id>${xml(fields.get('Id') ?? '')}</Id><Code>InternalError</Code>` +
            `<Message>${INJECTED}</Message><SenderFault>false</SenderFault></member>`,
        );
        continue;
      }
      kept++;
      for (const [field, value] of fields) {
        base.append(`PublishBatchRequestEntries.member.${kept}.${field}`, value);
      }
    }
    if (kept === 0) {
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: Buffer.from(
          `<PublishBatchResponse xmlns="${SNS_XMLNS}"><PublishBatchResult><Successful/>` +
            `<Failed>${failed.join('')}</Failed></PublishBatchResult><ResponseMetadata>` +
            `<RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishBatchResponse>`,
        ),
      };
    }
    const reply = await this.forward(req, Buffer.from(base.toString()));
    if (reply.status !== 200 || failed.length === 0) return reply;
    let text = reply.body.toString();
    if (text.includes('</Failed>')) text = text.replace('</Failed>', `${failed.join('')}</Failed>`);
    else if (text.includes('<Failed/>'))
      text = text.replace('<Failed/>', `<Failed>${failed.join('')}</Failed>`);
    else
      text = text.replace(
        '</PublishBatchResult>',
        `<Failed>${failed.join('')}</Failed></PublishBatchResult>`,
      );
    return { ...reply, body: Buffer.from(text) };
  }

  /** A single Publish (the publisher's retry of one entry): the whole call fails, with a 500. */
  private async publish(req: IncomingMessage, params: URLSearchParams, body: Buffer) {
    if (!this.see('Publish', eventIdOf(params.get('Message')))) return this.forward(req, body);
    return {
      status: 500,
      headers: { 'content-type': 'text/xml' },
      body: Buffer.from(
        `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>Receiver</Type><Code>InternalError</Code>` +
          `<Message>${INJECTED}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      ),
    };
  }

  private async putEvents(req: IncomingMessage, body: Buffer): Promise<Reply> {
    const request = JSON.parse(body.toString()) as { Entries: Array<{ Detail?: string }> };
    const failed = request.Entries.map((entry) => this.see('PutEvents', eventIdOf(entry.Detail)));
    const kept = request.Entries.filter((_, index) => !failed[index]);
    let upstream: { FailedEntryCount?: number; Entries?: unknown[] } = { Entries: [] };
    let reply: Reply = {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: Buffer.alloc(0),
    };
    if (kept.length) {
      reply = await this.forward(req, Buffer.from(JSON.stringify({ ...request, Entries: kept })));
      if (reply.status !== 200) return reply;
      upstream = JSON.parse(reply.body.toString()) as typeof upstream;
    }
    // Result entries are in the order of the request's: put the injected failures back in place.
    const results = [...(upstream.Entries ?? [])];
    const merged = failed.map((isFailed) =>
      isFailed ? { ErrorCode: 'InternalFailure', ErrorMessage: INJECTED } : results.shift(),
    );
    const count = (upstream.FailedEntryCount ?? 0) + failed.filter(Boolean).length;
    return {
      ...reply,
      body: Buffer.from(JSON.stringify({ FailedEntryCount: count, Entries: merged })),
    };
  }
}
