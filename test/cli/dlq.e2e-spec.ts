import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { mapLimited } from '@nestjs-events/core/transport';
import { runCli } from '@nestjs-events/cli';
import { endpointOf, SNS_SQS_EMULATORS, uniqueName, type Emulator } from '../fixtures/aws';
import { QueueInspector } from '../fixtures/sqs-queue';

jest.setTimeout(600_000);

/** Dead letters in a DLQ of 10,000 messages: the size the redrive must handle, with progress. */
const BIG = 10_000;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

function envelope(n: number, channel: string) {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'order.created',
    version: 2,
    source: 'orders-service',
    aggregateId: `order-${n}`,
    occurredAt: '2026-12-01T00:00:00.000Z',
    data: { orderId: `order-${n}`, userId: 'user-1', amount: 1000 + n, currency: 'KRW', channel },
    metadata: { correlationId: `corr-${n}` },
  };
}

describe.each<Emulator>(SNS_SQS_EMULATORS)('nestjs-events dlq on %s', (emulator) => {
  const inspector = new QueueInspector(emulator);
  const { client } = inspector;

  afterAll(() => inspector.close());

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    try {
      const code = await runCli(
        [...argv, '--region', 'us-east-1', '--endpoint', endpointOf(emulator)],
        {
          cwd: process.cwd(),
          out: (chunk) => void (out += chunk),
          err: (chunk) => void (err += chunk),
          progressInPlace: false,
        },
      );
      return { code, out, err };
    } finally {
      process.env = saved;
    }
  }

  /** A queue with a redrive policy to its DLQ, as provisioning creates them. */
  async function queues() {
    const name = uniqueName('dlq-cli');
    const { QueueUrl: dlqUrl } = await client.send(
      new CreateQueueCommand({ QueueName: `${name}-dlq` }),
    );
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const { QueueUrl: url } = await client.send(new CreateQueueCommand({ QueueName: name }));
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes!.QueueArn,
            maxReceiveCount: 5,
          }),
        },
      }),
    );
    return { name, url: url!, dlq: `${name}-dlq`, dlqUrl: dlqUrl! };
  }

  /** Dead letters as the consumer writes them: the body, the event's and the reason's attributes. */
  async function deadLetter(dlqUrl: string, source: string, channels: readonly string[]) {
    const batches: number[][] = [];
    for (let i = 0; i < channels.length; i += 10) {
      batches.push([...Array(Math.min(10, channels.length - i)).keys()].map((k) => i + k));
    }
    await mapLimited(batches, 8, async (batch) => {
      const { Failed } = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: batch.map((n) => ({
            Id: String(n),
            MessageBody: JSON.stringify(envelope(n, channels[n])),
            MessageAttributes: {
              'event-type': text('order.created'),
              'dead-letter-reason': text('max-attempts'),
              'dead-letter-handler': text('EmailHandler.onOrderCreated'),
              'dead-letter-error': text('Error: mail server refused the connection'),
              'dead-letter-attempts': { DataType: 'Number', StringValue: '5' },
              'dead-letter-source-queue': text(source),
            },
          })),
        }),
      );
      if (Failed?.length) throw new Error(`could not fill the DLQ: ${JSON.stringify(Failed)}`);
    });
  }

  it('lists with reasons and no payload, shows one, redrives what a pattern selects', async () => {
    const { name, dlq, dlqUrl } = await queues();
    const channels = [...Array(30).keys()].map((n) => (n % 3 === 2 ? 'mobile' : 'web'));
    await deadLetter(dlqUrl, name, channels);

    const list = await cli('dlq', name, 'list');
    expect(list.code).toBe(0);
    expect(list.out).toContain(`Dead-letter queue ${dlq}: 30 message(s)`);
    expect(list.out).toMatch(
      /order\.created\s+max-attempts\s+EmailHandler\.onOrderCreated\s+5\s+\S+\s+Error: mail server refused/,
    );
    // The payload stays out of a listing.
    expect(list.out).not.toContain('user-1');
    const id = /^(\S+)\s+order\.created/m.exec(list.out.split('\n').slice(2).join('\n'))![1];

    const show = await cli('dlq', dlq, 'show', id);
    expect(show.code).toBe(0);
    expect(show.out).toContain(`Message ${id} in ${dlq}`);
    expect(show.out).toContain('"userId": "user-1"');

    const web = JSON.stringify({ data: { channel: ['web'] } });
    const dryRun = await cli('dlq', name, 'redrive', '--pattern', web, '--dry-run');
    expect(dryRun.out).toContain('Dry run: 20 of 30 message(s)');
    expect((await inspector.depth(name)).visible).toBe(0);

    const redrive = await cli('dlq', name, 'redrive', '--pattern', web);
    expect(redrive.code).toBe(0);
    expect(redrive.out).toContain(`Redrove 20 of 30 message(s) from ${dlq}.`);
    const back = await inspector.drain(name, 20);
    expect(back).toHaveLength(20);
    for (const message of back) {
      const event = JSON.parse(message.Body!) as { data: { channel: string } };
      expect(event.data.channel).toBe('web');
      // A new message: attempts start over, the dead-letter attributes are gone.
      expect(message.Attributes?.ApproximateReceiveCount).toBe('1');
      expect(Object.keys(message.MessageAttributes ?? {})).toEqual(['event-type']);
    }
    // The others are in the DLQ still, visible again.
    await expect(inspector.drain(dlq, 10)).resolves.toHaveLength(10);
  });

  it('asks for --to when a message records no source queue, and leaves it visible', async () => {
    const { dlq, dlqUrl } = await queues();
    // As SQS's own redrive policy moves a message: no dead-letter attributes.
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: [{ Id: '1', MessageBody: JSON.stringify(envelope(1, 'web')) }],
      }),
    );
    const refused = await cli('dlq', dlq, 'redrive');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('records no source queue');
    expect(refused.err).toContain('--to <queue>');
    await expect(inspector.drain(dlq, 1, 5_000)).resolves.toHaveLength(1);
  });

  it('refuses a pattern that is not one, saying how to write it', async () => {
    const { name } = await queues();
    const bad = await cli('dlq', name, 'redrive', '--pattern', '{"data":{"channel":[{"nope":1}]}}');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--pattern is not a valid event pattern');
  });

  it(`redrives a DLQ of ${BIG.toLocaleString('en')} messages, losing none, with progress`, async () => {
    const { name, dlq, dlqUrl } = await queues();
    await deadLetter(dlqUrl, name, Array<string>(BIG).fill('web'));

    const redrive = await cli('dlq', dlq, 'redrive', '--visibility', '900');
    expect(redrive.out).toContain(`Redrove ${BIG} of ${BIG} message(s) from ${dlq}.`);
    expect(redrive.code).toBe(0);
    expect(redrive.err).toContain('1000 message(s) processed…');
    expect(redrive.err).toContain(`${BIG} message(s) processed…`);
    expect(await inspector.depth(dlq)).toEqual({ visible: 0, inFlight: 0 });
    expect((await inspector.depth(name)).visible).toBe(BIG);
  });
});
