import type { ApplicationTopology, TransportView } from './application-topology';
import { textTable } from './text.table';

const json = (value: unknown) => (value === undefined ? '-' : JSON.stringify(value));

/** The `topology` command's output: a section per transport, a table per kind of resource. */
export function printTopology(app: ApplicationTopology): string {
  const out: string[] = [`${app.name}`];
  for (const transport of app.transports) out.push('', ...transportSection(transport));
  if (app.idempotencyTable) {
    const { tableName, keyAttribute, ttlAttribute } = app.idempotencyTable;
    out.push(
      '',
      'Idempotency table (DynamoDB)',
      indent(textTable(['TABLE', 'KEY', 'TTL'], [[tableName, keyAttribute, ttlAttribute]])),
    );
  }
  return out.join('\n') + '\n';
}

function transportSection(view: TransportView): string[] {
  const { topology } = view;
  const out = [`Transport "${view.name}"${topology ? ` (${topology.kind})` : ''}`];
  if (!topology) {
    out.push('  no broker: nothing to create (in-process, or a transport that cannot describe it)');
  } else {
    const section = (title: string, headers: string[], rows: string[][]) => {
      if (rows.length) out.push(`  ${title}`, indent(textTable(headers, rows), 4));
    };
    section(
      'Topics',
      ['TOPIC', 'EVENT TYPES'],
      topology.topics.map((t) => [t.arn ?? t.name, t.eventTypes.join(', ')]),
    );
    section(
      'Queues',
      ['QUEUE', 'DEAD-LETTER QUEUE', 'MAX RECEIVES', 'VISIBILITY', 'EVENT TYPES'],
      topology.queues.map((q) => [
        q.name,
        q.deadLetterQueue,
        String(q.maxReceiveCount),
        `${q.visibilityTimeoutSeconds}s`,
        q.eventTypes.join(', ') || '(published to)',
      ]),
    );
    section(
      'Subscriptions (raw delivery)',
      ['TOPIC', 'QUEUE', 'FILTER SCOPE', 'FILTER POLICY'],
      topology.subscriptions.map((s) => [
        s.topic,
        s.queue,
        s.filterPolicyScope ?? '-',
        json(s.filterPolicy),
      ]),
    );
    section(
      'Buses',
      ['BUS', 'CREATED'],
      topology.buses.map((b) => [b.name, b.create ? 'yes' : 'no (always exists)']),
    );
    section(
      'Rules',
      ['RULE', 'BUS', 'TARGETS', 'PATTERN'],
      topology.rules.map((r) => [
        r.name,
        r.bus,
        r.targets
          .map(
            (t) => `${t.id}: ${t.queue}${t.deadLetterQueue ? ` (DLQ ${t.deadLetterQueue})` : ''}`,
          )
          .join(', '),
        json(r.pattern),
      ]),
    );
    section(
      'Queue policies',
      ['QUEUE', 'SERVICE', 'MAY SEND'],
      topology.queuePolicies.map((p) => [
        p.queue,
        p.service,
        p.sources.map((s) => `${s.kind} ${s.name}`).join(', '),
      ]),
    );
    for (const note of topology.notes) out.push(`  note: ${note}`);
  }
  if (view.handlers.length) {
    out.push(
      '  Handlers',
      indent(
        textTable(
          ['HANDLER', 'EVENT TYPES', 'QUEUE', 'PATTERN'],
          view.handlers.map((h) => [
            h.handler,
            h.eventTypes.join(', '),
            queueOf(view, h.handler),
            json(h.filterPattern),
          ]),
        ),
        4,
      ),
    );
  }
  if (view.publishes.length) {
    out.push(
      '  Publishes',
      indent(
        textTable(
          ['EVENT TYPE', 'VERSION'],
          view.publishes.map((d) => [d.type, String(d.version)]),
        ),
        4,
      ),
    );
  }
  return out;
}

function queueOf(view: TransportView, handler: string): string {
  return view.topology?.queues.find((q) => q.handlers.includes(handler))?.name ?? '-';
}

function indent(text: string, by = 2): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
