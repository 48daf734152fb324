import { join } from 'node:path';
import { constructed } from './__fixtures__/for-root.module';
import { loadApplication } from './application.loader';

const fixture = join(__dirname, '__fixtures__/for-root.module.ts');

describe('loadApplication', () => {
  it('reads forRoot options from the module graph, building no provider', async () => {
    const app = await loadApplication({ module: `${fixture}#BillingModule` });
    expect(constructed.listeners).toBe(0);
    expect(app.name).toBe('billing');
    expect(app.transports.map((transport) => transport.name)).toEqual(['sqs']);
    expect(app.handlers).toMatchObject([
      { handler: 'InvoiceListener.onPaid', eventTypes: ['invoice.paid'], queue: 'invoices' },
    ]);
  });

  it('names what is missing: the file, or the export', async () => {
    await expect(loadApplication({ module: 'nowhere/app.module.js#AppModule' })).rejects.toThrow(
      /does not exist\. Build the application first/,
    );
    await expect(loadApplication({ module: `${fixture}#AppModule` })).rejects.toThrow(
      /has no export "AppModule"\. Its exports: BillingModule, InvoiceListener, constructed/,
    );
  });
});
