import { EventsConfigurationError } from '@nestjs-events/core';
import { SqsTransport } from './sqs.transport';

describe('SqsConsumingTransport.start', () => {
  const saved = {
    AWS_REGION: process.env.AWS_REGION,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
  };

  beforeEach(() => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('refuses to start without a region, saying where to set one', async () => {
    const transport = new SqsTransport({
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const start = transport.start();
    await expect(start).rejects.toThrow(EventsConfigurationError);
    await expect(start).rejects.toThrow(
      'Transport "sqs" has no AWS region: set region on it, or AWS_REGION in the environment',
    );
    await transport.stop({ deadlineMs: 0 });
  });
});
