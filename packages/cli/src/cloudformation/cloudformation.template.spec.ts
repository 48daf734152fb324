import { DynamoDbIdempotencyStore } from '@nestjs-events/idempotency-dynamodb';
import { SqsTransport } from '@nestjs-events/sqs';
import { describeApplication } from '../topology/application-topology';
import { buildCloudFormationTemplate } from './cloudformation.template';

describe('buildCloudFormationTemplate', () => {
  it("adds the idempotency store's DynamoDB table, on demand with TTL, and the SQS queues", () => {
    const template = buildCloudFormationTemplate([
      describeApplication({
        name: 'billing',
        handlers: [{ handler: 'Bill.on', eventTypes: ['order.paid'], definitions: [] }],
        transports: [
          new SqsTransport({
            sqsClient: {} as never,
            queues: [{ name: 'billing.fifo', maxReceiveCount: 2 }],
            publishTo: 'ledger.fifo',
            fifo: true,
          }),
        ],
        routes: {},
        publishes: [],
        idempotencyStore: new DynamoDbIdempotencyStore({
          tableName: 'billing-idempotency',
          ttlAttribute: 'expires',
          client: {} as never,
        }),
      }),
    ]);
    expect(template.Resources.IdempotencyTableBillingIdempotency).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: { Ref: 'IdempotencyTableBillingIdempotencyName' },
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
      },
    });
    expect(template.Resources.QueueBillingFifo.Properties).toEqual({
      QueueName: { Ref: 'QueueBillingFifoName' },
      FifoQueue: true,
      VisibilityTimeout: 30,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': ['QueueBillingDlqFifo', 'Arn'] },
        maxReceiveCount: 2,
      },
    });
    expect(template.Parameters.QueueBillingDlqFifoName.Default).toBe('billing-dlq.fifo');
    // The queue published to gets its dead-letter queue too, as provisioning creates it.
    expect(template.Parameters.QueueLedgerFifoName.Default).toBe('ledger.fifo');
    expect(template.Parameters.QueueLedgerDlqFifoName.Default).toBe('ledger-dlq.fifo');
  });
});
