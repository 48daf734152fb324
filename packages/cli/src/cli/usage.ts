/** The text of `nestjs-events --help`. */
export const USAGE = `Usage: nestjs-events <command> [options]

Application commands read the handlers and transports of a built NestJS application without
starting it (Nest's preview mode: no provider is instantiated, no factory runs, nothing connects).

  topology        the topics, queues, DLQs, subscriptions, buses, rules and handlers, as tables
  cloudformation  a CloudFormation template (JSON) of what provision: true creates
  asyncapi        an AsyncAPI 3.0 document (JSON or YAML) of the channels, operations and messages
  schemas         each event version as a JSONSchemaDraft4 schema for EventBridge's schema registry

    --config <file.js>[#export]   exports { module, events?, publishes?, title?, version? };
                                  repeat it for several applications (topology, cloudformation)
    --module <file.js>#<Export>   the root module, when no config names it and it uses forRoot()
    --out <file>                  write to a file instead of stdout (--out-dir <dir> for schemas)
    --json                        topology as JSON instead of tables
    --format yaml|json            asyncapi's format (default: yaml when --out ends in .yaml or
                                  .yml, else json)

Dead-letter commands talk to SQS (credentials, region and endpoint from the AWS SDK's chain):

  dlq <queue> list                 the messages with why they are there (never their payloads)
  dlq <queue> show <message-id>    one message, its attributes and body
  dlq <queue> redrive [--pattern <json>] [--dry-run] [--to <queue>]
                                   send them back to their source queue with attempts reset

    <queue> is a queue with a redrive policy (its DLQ is used) or the dead-letter queue itself.
    --region, --endpoint           override AWS_REGION / AWS_ENDPOINT_URL
    --visibility <seconds>         how long messages stay hidden while the command works (600)
`;
