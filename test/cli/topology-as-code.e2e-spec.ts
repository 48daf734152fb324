import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { startLocalStack, type RunningServer } from '@sample/emulators';
import { startService, type ServiceProcess } from '../../apps/demo/src/service.process';
import { runShopScenario } from '../../apps/demo/src/shop.scenario';
import { uniqueName } from '../fixtures/aws';
import { until } from '../fixtures/until';
import { buildWorkspace } from '../fixtures/build';

jest.setTimeout(300_000);

const run = promisify(execFile);
const root = join(__dirname, '../..');
const cli = join(root, 'packages/cli/dist/main.js');
const cfnLint = join(root, '.venv-cfn-lint/bin/cfn-lint');
const configs = ['notifications-service', 'orders-service'].map(
  (app) => `apps/${app}/dist/nestjs-events.config.js`,
);

let localstack: RunningServer;
let folder: string;

// The CLI and the services run as the user runs them: from the build output.
beforeAll(async () => {
  buildWorkspace();
  if (!existsSync(cfnLint)) throw new Error(`${cfnLint} is missing: run scripts/setup-test-env.sh`);
  // A LocalStack of its own, with CloudFormation: the shared one runs the transports' services only.
  localstack = await startLocalStack(['sns', 'sqs', 'events', 'cloudformation']);
  folder = await mkdtemp(join(tmpdir(), 'nestjs-events-cfn-'));
});

afterAll(async () => {
  await localstack?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe.each(['sns-sqs', 'eventbridge'])('the CLI template over %s', (transport) => {
  const services: ServiceProcess[] = [];

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.stop()));
  });

  it('passes cfn-lint, deploys to LocalStack, and the sample runs on it without provisioning', async () => {
    const name = uniqueName('shop');
    const env = {
      ...process.env,
      EVENTS_TRANSPORT: transport,
      AWS_ENDPOINT_URL: localstack.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      EVENTS_TOPIC_PREFIX: `${name}-`,
      EVENT_BUS_NAME: name,
      EVENTS_QUEUE: `${name}-notifications`,
      NODE_NO_WARNINGS: '1',
    };
    const file = join(folder, `${name}.json`);
    const args = configs.flatMap((config) => ['--config', config]);
    await run(process.execPath, [cli, 'cloudformation', ...args, '--out', file], {
      cwd: root,
      env,
    });
    const template = await readFile(file, 'utf8');

    // cfn-lint exits non-zero on any error, warning or informational finding.
    await expect(run(cfnLint, [file])).resolves.toMatchObject({ stdout: '' });

    const cloudformation = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: localstack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await cloudformation.send(
        new CreateStackCommand({ StackName: name, TemplateBody: template }),
      );
      let status = '';
      await until(
        async () => {
          const { Stacks } = await cloudformation.send(
            new DescribeStacksCommand({ StackName: name }),
          );
          status = Stacks?.[0]?.StackStatus ?? '';
          return !status.endsWith('IN_PROGRESS');
        },
        120_000,
        `stack ${name}`,
      );
      if (status !== 'CREATE_COMPLETE') {
        const { StackEvents = [] } = await cloudformation.send(
          new DescribeStackEventsCommand({ StackName: name }),
        );
        const failures = StackEvents.filter((e) => e.ResourceStatus?.includes('FAILED'));
        throw new Error(
          `Stack ${status}: ${failures.map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`).join('; ')}`,
        );
      }
    } finally {
      cloudformation.destroy();
    }

    // No EVENTS_PROVISION: the services find what the stack created, or fail to start.
    try {
      services.push(await startService('notifications-service', env));
      services.push(await startService('orders-service', env));
      const [notifications, orders] = services;
      const result = await runShopScenario(orders.url, notifications.url, 60_000);
      expect(result.emails.find((e) => e.template === 'order-confirmation')).toMatchObject({
        to: result.userId,
        correlationId: result.correlationId,
      });
      expect(result.points).toBe(1750);
    } catch (error) {
      for (const service of services) console.error(`--- ${service.name} ---\n${service.output()}`);
      throw error;
    }
  });
});
