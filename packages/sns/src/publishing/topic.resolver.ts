import * as Sns from '@aws-sdk/client-sns';
import { EventsConfigurationError } from '@nestjs-events/core';
import { describeClientTarget } from '@nestjs-events/sqs/transport';

/** Where events are published: one shared topic, or one topic per event type. */
export type TopicOptions =
  | {
      /** ARN of the one topic every event goes to; subscriptions filter on `event-type`. */
      arn: string;
    }
  | {
      /** Prefix of the per-type topic names: `<prefix><type with "." as "-">`. @default '' */
      prefix?: string;
    };

/** Resolves the topic ARN of each event type, creating topics when provisioning is on. */
export class TopicResolver {
  private readonly arns = new Map<string, Promise<string>>();
  private listed: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly client: Sns.SNSClient,
    private readonly options: TopicOptions,
    private readonly fifo: boolean,
    private readonly provision: boolean,
    private readonly transport: string,
  ) {}

  get shared(): boolean {
    return 'arn' in this.options;
  }

  /** The one topic's ARN, when every event goes to one topic. */
  get sharedArn(): string | undefined {
    return 'arn' in this.options ? this.options.arn : undefined;
  }

  /** Name of the topic of `type` (per-type mode). */
  nameFor(type: string): string {
    const prefix = 'prefix' in this.options ? (this.options.prefix ?? '') : '';
    return `${prefix}${type.replace(/\./g, '-')}${this.fifo ? '.fifo' : ''}`;
  }

  arnFor(type: string): Promise<string> {
    if ('arn' in this.options) return Promise.resolve(this.options.arn);
    const name = this.nameFor(type);
    let arn = this.arns.get(name);
    if (!arn) {
      arn = this.provision ? this.create(name) : this.find(name);
      // A failed lookup is not cached: the topic may exist on the next try.
      arn.catch(() => this.arns.delete(name));
      this.arns.set(name, arn);
    }
    return arn;
  }

  async create(name: string): Promise<string> {
    const attributes: Record<string, string> = this.fifo
      ? { FifoTopic: 'true', ContentBasedDeduplication: 'false' }
      : {};
    const { TopicArn } = await this.client.send(
      new Sns.CreateTopicCommand({ Name: name, Attributes: attributes }),
    );
    return TopicArn!;
  }

  private async find(name: string): Promise<string> {
    let arn = (await this.list(false)).get(name);
    if (!arn) arn = (await this.list(true)).get(name);
    if (!arn) {
      throw new EventsConfigurationError(
        `SNS topic "${name}" does not exist at ${await describeClientTarget(this.client)}. ` +
          'Create it, check the region, or set provision: true on transport ' +
          `"${this.transport}" for local development.`,
      );
    }
    return arn;
  }

  private list(refresh: boolean): Promise<Map<string, string>> {
    if (!this.listed || refresh) {
      this.listed = (async () => {
        const byName = new Map<string, string>();
        let NextToken: string | undefined;
        do {
          const page = await this.client.send(new Sns.ListTopicsCommand({ NextToken }));
          for (const { TopicArn } of page.Topics ?? []) {
            if (TopicArn) byName.set(TopicArn.slice(TopicArn.lastIndexOf(':') + 1), TopicArn);
          }
          NextToken = page.NextToken;
        } while (NextToken);
        return byName;
      })();
    }
    return this.listed;
  }
}
