/**
 * The CDK construct (`aws-cdk-lib` and `constructs` are optional peers, needed only here):
 * `NestjsEventsResources` adds the resources of `nestjs-events cloudformation` to a stack.
 */
export {
  NestjsEventsResources,
  type NestjsEventsResourcesProps,
} from './nestjs-events-resources.construct';
export { loadTopology } from '../topology/load-topology';
export type { ApplicationTopology } from '../topology/application-topology';
