import { join } from 'node:path';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildCloudFormationTemplate } from '../cloudformation/cloudformation.template';
import { loadTopology } from '../topology/load-topology';
import { NestjsEventsResources } from './nestjs-events-resources.construct';

const root = join(__dirname, '../../../..');
const configs = ['notifications-service', 'orders-service'].map(
  (app) => `apps/${app}/src/nestjs-events.config.ts`,
);

// Loading the sample's modules and writing its documents take 1 to 3 s here, more on a loaded runner.
jest.setTimeout(30_000);

describe('NestjsEventsResources', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each(['sns-sqs', 'eventbridge'])(
    "synthesises the CLI's template for the sample over %s",
    async (transport) => {
      process.env.EVENTS_TRANSPORT = transport;
      process.env.AWS_REGION = 'us-east-1';
      const applications = await Promise.all(
        configs.map((config) => loadTopology({ config }, root)),
      );
      const app = new App({ analyticsReporting: false });
      const stack = new Stack(app, 'Shop', {
        synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      });
      const events = new NestjsEventsResources(stack, 'Events', { applications });

      const synthesized = Template.fromStack(stack).toJSON() as Record<string, unknown>;
      const cli = buildCloudFormationTemplate(applications);
      expect(synthesized.Resources).toEqual(cli.Resources);
      expect(synthesized.Parameters).toEqual(cli.Parameters);
      expect(synthesized.Outputs).toEqual(cli.Outputs);
      expect(events.resource('QueueNotifications').cfnResourceType).toBe('AWS::SQS::Queue');
      expect(() => events.resource('Nope')).toThrow('No resource Nope. The resources: ');
    },
  );
});
