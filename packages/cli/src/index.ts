export type { NestjsEventsConfig, CliEventsOptions } from './loading/cli-config.interface';
export { runCli, type CliIo } from './cli/run';
export {
  loadApplication,
  type ApplicationReference,
  type LoadedApplication,
} from './loading/application.loader';
export {
  describeApplication,
  type ApplicationTopology,
  type IdempotencyTable,
  type TransportView,
} from './topology/application-topology';
export { printTopology } from './topology/topology.printer';
export { loadTopology } from './topology/load-topology';
export {
  buildCloudFormationTemplate,
  type CloudFormationTemplate,
} from './cloudformation/cloudformation.template';
export { buildAsyncApiDocument, type AsyncApiResult } from './asyncapi/asyncapi.document';
export { buildRegistrySchemas, type RegistrySchema } from './asyncapi/eventbridge-schemas';
