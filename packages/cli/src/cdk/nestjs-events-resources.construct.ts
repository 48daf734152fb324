import { CfnOutput, CfnParameter, CfnResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { buildCloudFormationTemplate } from '../cloudformation/cloudformation.template';
import type { ApplicationTopology } from '../topology/application-topology';

export interface NestjsEventsResourcesProps {
  /**
   * The applications whose topology to add, as `loadTopology` (or `describeApplication`) gives
   * them: their topics, queues, DLQs, subscriptions, queue policies, buses, rules and
   * idempotency tables.
   */
  readonly applications: readonly ApplicationTopology[];
}

/**
 * Adds to a stack exactly the resources of `nestjs-events cloudformation` for the same
 * applications: what `provision: true` creates, with the same logical ids, a `CfnParameter` per
 * name (its default the name the application uses) and the same outputs. Reach a resource with
 * `resource(logicalId)`, e.g. to grant a role `sqs:ReceiveMessage` on a queue's ARN.
 *
 * The logical ids are the template's own, not prefixed with this construct's path, so that the
 * stack and the CLI's template describe the same resources; add one per stack.
 */
export class NestjsEventsResources extends Construct {
  private readonly resources = new Map<string, CfnResource>();

  constructor(scope: Construct, id: string, props: NestjsEventsResourcesProps) {
    super(scope, id);
    const template = buildCloudFormationTemplate(props.applications);
    for (const [name, parameter] of Object.entries(template.Parameters)) {
      new CfnParameter(this, name, {
        type: parameter.Type,
        default: parameter.Default,
        description: parameter.Description,
      }).overrideLogicalId(name);
    }
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const cfn = new CfnResource(this, logicalId, {
        type: resource.Type,
        properties: resource.Properties,
      });
      cfn.overrideLogicalId(logicalId);
      this.resources.set(logicalId, cfn);
    }
    for (const [name, output] of Object.entries(template.Outputs)) {
      new CfnOutput(this, name, {
        description: output.Description,
        value: output.Value as string,
      }).overrideLogicalId(name);
    }
  }

  /** The resource of a logical id of the CLI's template (`QueueNotifications`, …). */
  resource(logicalId: string): CfnResource {
    const resource = this.resources.get(logicalId);
    if (!resource) {
      throw new Error(
        `No resource ${logicalId}. The resources: ${[...this.resources.keys()].join(', ')}.`,
      );
    }
    return resource;
  }

  /** The logical ids of the resources, in template order. */
  get logicalIds(): string[] {
    return [...this.resources.keys()];
  }
}
