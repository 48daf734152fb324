/** Where a transport's SDK clients connect, when the options pass no client of their own. */
export interface AwsClientOptions {
  /** AWS region. @default the SDK's default chain (AWS_REGION, profile, …) */
  region?: string;
  /** Endpoint, e.g. LocalStack's. @default the SDK's (AWS_ENDPOINT_URL, or AWS) */
  endpoint?: string;
  /** Static credentials. @default the SDK's default credential chain */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** What the SDK client is built from, when the options do not pass one. */
export function clientConfig(options: AwsClientOptions): Record<string, unknown> {
  return {
    ...(options.region && { region: options.region }),
    ...(options.endpoint && { endpoint: options.endpoint }),
    ...(options.credentials && { credentials: options.credentials }),
  };
}
