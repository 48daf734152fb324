import type { SQSClient } from '@aws-sdk/client-sqs';

/** How long the SDK clients a transport builds wait, in milliseconds. */
export interface AwsClientTimeouts {
  /** To open a connection. @default 5000 */
  connectionMs?: number;
  /**
   * For a response to go quiet before the request fails. Long polls wait their own
   * `waitTimeSeconds` plus a margin instead. @default 10000
   */
  requestMs?: number;
}

/** Where a transport's SDK clients connect, when the options pass no client of their own. */
export interface AwsClientOptions {
  /** AWS region. @default the SDK's default chain (AWS_REGION, profile, …) */
  region?: string;
  /** Endpoint, e.g. LocalStack's. @default the SDK's (AWS_ENDPOINT_URL, or AWS) */
  endpoint?: string;
  /** Static credentials. @default the SDK's default credential chain */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Timeouts of the clients the transport builds, so that a broker that accepts connections but
   * never answers fails calls instead of hanging them. Clients you pass keep their own.
   */
  timeouts?: AwsClientTimeouts;
}

const DEFAULT_CONNECTION_MS = 5_000;
const DEFAULT_REQUEST_MS = 10_000;

/**
 * What an SDK client is built from, when the options do not pass one: region, endpoint,
 * credentials, and timeouts on connecting and on a response that goes quiet.
 */
export function clientConfig(options: AwsClientOptions): Record<string, unknown> {
  const connectionTimeout = options.timeouts?.connectionMs ?? DEFAULT_CONNECTION_MS;
  const requestTimeout = options.timeouts?.requestMs ?? DEFAULT_REQUEST_MS;
  for (const [name, value] of [
    ['connectionMs', connectionTimeout],
    ['requestMs', requestTimeout],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`timeouts.${name} must be a number of milliseconds > 0, got ${value}.`);
    }
  }
  return {
    ...(options.region && { region: options.region }),
    ...(options.endpoint && { endpoint: options.endpoint }),
    ...(options.credentials && { credentials: options.credentials }),
    // Without throwOnRequestTimeout the SDK only warns and keeps waiting.
    requestHandler: { connectionTimeout, requestTimeout, throwOnRequestTimeout: true },
  };
}

/** The part of an SDK client's resolved configuration that says where it sends. */
interface ClientTargetConfig {
  region?: () => Promise<string>;
  endpoint?: () => Promise<{ protocol?: string; hostname?: string; port?: number; path?: string }>;
}

/**
 * Where `client` sends its calls, for error messages: `endpoint http://127.0.0.1:4566, region
 * us-east-1`, or AWS's own endpoint of the region, or that no region is set.
 */
export async function describeClientTarget(
  client: Pick<SQSClient, 'config'> | object,
): Promise<string> {
  const config = (client as { config?: ClientTargetConfig }).config ?? {};
  let region: string | undefined;
  try {
    region = await config.region?.();
  } catch {
    region = undefined;
  }
  const where = region ? `region ${region}` : 'no region (set region, or AWS_REGION)';
  try {
    const endpoint = await config.endpoint?.();
    if (endpoint?.hostname) {
      const port = endpoint.port ? `:${endpoint.port}` : '';
      const path = endpoint.path && endpoint.path !== '/' ? endpoint.path : '';
      return `endpoint ${endpoint.protocol ?? 'https:'}//${endpoint.hostname}${port}${path}, ${where}`;
    }
  } catch {
    // No endpoint of its own: the SDK resolves AWS's, below.
  }
  return `AWS's endpoint, ${where}`;
}
