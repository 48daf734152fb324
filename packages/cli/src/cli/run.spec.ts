import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { runCli } from './run';

const root = join(__dirname, '../../../..');
const notifications = 'apps/notifications-service/src/nestjs-events.config.ts';
const orders = 'apps/orders-service/src/nestjs-events.config.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    cwd: root,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    progressInPlace: false,
  });
  return { code, out, err };
}

// Loading the sample's modules and writing its documents take 1 to 3 s here, more on a loaded runner.
jest.setTimeout(30_000);

describe('nestjs-events CLI on the sample', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.EVENTS_TRANSPORT = 'sns-sqs';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('prints the topology: topics, queue with its DLQ, subscriptions, policies, handlers', async () => {
    const { code, out, err } = await cli('topology', '--config', notifications);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Transport "sns-sqs" (sns-sqs)');
    expect(out).toMatch(/notifications\s+notifications-dlq\s+5\s+30s\s+order\.created/);
    expect(out).toMatch(/shop-order-created\s+notifications\s+-\s+-/);
    expect(out).toMatch(
      /PaymentsHandler\.onOrderCreated\s+order\.created\s+notifications\s+\{"data":\{"amount"/,
    );
    expect(out).toMatch(/Publishes\n\s+EVENT TYPE\s+VERSION\n\s+email\.sent\s+1/);
  });

  it('writes a CloudFormation template of what provisioning creates, names as parameters', async () => {
    const { code, out } = await cli(
      'cloudformation',
      '--config',
      notifications,
      '--config',
      orders,
    );
    expect(code).toBe(0);
    const template = JSON.parse(out) as {
      Parameters: Record<string, { Default: string }>;
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::SNS::Topic')).toHaveLength(5);
    expect(types.filter((type) => type === 'AWS::SQS::Queue')).toHaveLength(2);
    expect(types.filter((type) => type === 'AWS::SNS::Subscription')).toHaveLength(3);
    expect(template.Parameters.QueueNotificationsName.Default).toBe('notifications');
    expect(template.Resources.QueueNotifications.Properties).toEqual({
      QueueName: { Ref: 'QueueNotificationsName' },
      VisibilityTimeout: 30,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': ['QueueNotificationsDlq', 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    expect(template.Resources.SubscriptionShopOrderCreatedToNotifications.Properties).toEqual({
      TopicArn: { Ref: 'TopicShopOrderCreated' },
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': ['QueueNotifications', 'Arn'] },
      RawMessageDelivery: true,
    });
    const policy = template.Resources.QueuePolicyNotificationsSns.Properties.PolicyDocument as {
      Statement: { Condition: { ArnEquals: { 'aws:SourceArn': unknown } } }[];
    };
    expect(policy.Statement[0].Condition.ArnEquals['aws:SourceArn']).toEqual([
      { Ref: 'TopicShopOrderCreated' },
      { Ref: 'TopicShopUserRegistered' },
      { Ref: 'TopicShopPaymentAuthorized' },
    ]);
  });

  it('writes the EventBridge bus, rule and target for the EventBridge transport', async () => {
    process.env.EVENTS_TRANSPORT = 'eventbridge';
    const { code, out } = await cli('cloudformation', '--config', notifications);
    expect(code).toBe(0);
    const { Resources } = JSON.parse(out) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    expect(Resources.EventBusShop.Type).toBe('AWS::Events::EventBus');
    expect(Resources.RuleNotificationsEvents.Properties).toMatchObject({
      Name: 'notifications-events',
      EventBusName: { Ref: 'EventBusShop' },
      Targets: [
        {
          Id: 'queue',
          Arn: { 'Fn::GetAtt': ['QueueNotifications', 'Arn'] },
          // What the bus cannot deliver goes to the queue's DLQ, which lets the rule send too.
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['QueueNotificationsDlq', 'Arn'] } },
        },
      ],
    });
    expect(Resources.QueuePolicyNotificationsDlqEvents.Properties.Queues).toEqual([
      { Ref: 'QueueNotificationsDlq' },
    ]);
  });

  it.each(['sns-sqs', 'eventbridge'])(
    'writes an AsyncAPI 3.0 document that @asyncapi/parser accepts (%s)',
    async (transport) => {
      process.env.EVENTS_TRANSPORT = transport;
      const { code, out } = await cli('asyncapi', '--config', notifications);
      expect(code).toBe(0);
      const { document, diagnostics } = await new Parser().parse(out);
      // Severity 0 is an error; 2 (information) only suggests AsyncAPI 3.1.
      expect(diagnostics.filter((d) => Number(d.severity) === 0)).toEqual([]);
      expect(document).toBeDefined();
      const parsed = JSON.parse(out) as {
        asyncapi: string;
        components: { messages: Record<string, { payload: { schema: object } }> };
        operations: Record<string, { action: string }>;
      };
      expect(parsed.asyncapi).toBe('3.0.0');
      expect(Object.keys(parsed.components.messages)).toEqual([
        'email.sent.v1',
        'order.created.v1',
        'order.created.v2',
        'payment.authorized.v1',
        'points.credited.v1',
        'user.registered.v1',
      ]);
      expect(parsed.components.messages['order.created.v2'].payload.schema).toMatchObject({
        properties: {
          type: { const: 'order.created' },
          version: { const: 2 },
          data: {
            type: 'object',
            properties: { channel: { enum: ['web', 'mobile', 'store'] } },
          },
        },
      });
      expect(parsed.operations['send-email.sent.v1'].action).toBe('send');
      expect(parsed.operations['receive-PointsHandler.onOrderCreated']).toMatchObject({
        action: 'receive',
        messages: [
          { $ref: '#/channels/queue-notifications/messages/order.created.v2' },
          { $ref: '#/channels/queue-notifications/messages/order.created.v1' },
        ],
      });
    },
  );

  it.each(['sns-sqs', 'eventbridge'])(
    'writes the AsyncAPI document as YAML that @asyncapi/parser accepts, the same as the JSON (%s)',
    async (transport) => {
      process.env.EVENTS_TRANSPORT = transport;
      const yaml = await cli('asyncapi', '--config', notifications, '--format', 'yaml');
      expect(yaml.code).toBe(0);
      expect(yaml.out).toMatch(/^asyncapi: 3\.0\.0\n/);
      const { document, diagnostics } = await new Parser().parse(yaml.out);
      expect(diagnostics.filter((d) => Number(d.severity) === 0)).toEqual([]);
      expect(document).toBeDefined();
      const json = await cli('asyncapi', '--config', notifications);
      expect(parseYaml(yaml.out)).toEqual(JSON.parse(json.out));
    },
  );

  it('picks the AsyncAPI format from the --out extension unless --format names one', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'asyncapi-'));
    try {
      const written = (name: string, ...extra: string[]) =>
        cli('asyncapi', '--config', notifications, '--out', join(folder, name), ...extra).then(
          ({ code }) => {
            expect(code).toBe(0);
            return readFileSync(join(folder, name), 'utf8');
          },
        );
      await expect(written('asyncapi.yaml')).resolves.toMatch(/^asyncapi: 3\.0\.0\n/);
      await expect(written('asyncapi.YML')).resolves.toMatch(/^asyncapi: 3\.0\.0\n/);
      await expect(written('asyncapi.json')).resolves.toMatch(/^\{\n {2}"asyncapi": "3\.0\.0"/);
      await expect(written('asyncapi.txt')).resolves.toMatch(/^\{/);
      await expect(written('asyncapi.yaml', '--format', 'json')).resolves.toMatch(/^\{/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const bad = await cli('asyncapi', '--config', notifications, '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format must be yaml or json, not "xml"');
  });

  it("exports each version's schema as JSONSchemaDraft4 for EventBridge's registry", async () => {
    const { code, out } = await cli('schemas', '--config', orders);
    expect(code).toBe(0);
    const schemas = JSON.parse(out) as { schemaName: string; type: string; content: string }[];
    expect(schemas.map((schema) => [schema.schemaName, schema.type])).toEqual([
      ['order.created@v2', 'JSONSchemaDraft4'],
      ['user.registered@v1', 'JSONSchemaDraft4'],
    ]);
    const content = JSON.parse(schemas[0].content) as Record<string, unknown>;
    expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schemas[0].content).not.toContain('"const"');
    expect(content).toMatchObject({
      properties: {
        'detail-type': { enum: ['order.created'] },
        detail: { properties: { version: { enum: [2] } } },
      },
    });
  });

  it('says what to do when the options come from a factory it does not run', async () => {
    const { code, err } = await cli(
      'topology',
      '--module',
      'apps/notifications-service/src/app.module.ts#NotificationsServiceModule',
    );
    expect(code).toBe(2);
    expect(err).toContain('builds its EventsModule options in a factory (forRootAsync)');
    expect(err).toContain('--config');
  });

  it('refuses an unknown command or option, naming the known ones', async () => {
    expect((await cli('deploy')).err).toContain('Unknown command "deploy"');
    expect((await cli('topology', '--modul', 'x')).err).toContain('Its options: --config');
  });
});
