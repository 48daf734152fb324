import { loadApplication, type ApplicationReference } from '../loading/application.loader';
import { describeApplication, type ApplicationTopology } from './application-topology';

/**
 * Loads an application as the CLI's commands do (preview mode: nothing instantiated, nothing
 * started) and describes what its brokers must hold: for infrastructure code, such as the CDK
 * construct, that builds from the same description as `nestjs-events cloudformation`.
 */
export async function loadTopology(
  reference: ApplicationReference,
  cwd?: string,
): Promise<ApplicationTopology> {
  return describeApplication(await loadApplication(reference, cwd));
}
