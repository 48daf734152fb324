import { Injectable, Logger } from '@nestjs/common';
import { appendFile } from 'node:fs/promises';

export interface Email {
  readonly to: string;
  readonly subject: string;
  readonly template: 'order-confirmation' | 'welcome' | 'payment-receipt';
  readonly aboutEventId: string;
  readonly correlationId: string;
  readonly sentAt: string;
}

/**
 * Stands in for an email provider: keeps what was sent, for `GET /emails`, and appends it as JSON
 * lines to `MAIL_SINK_FILE` when that is set.
 */
@Injectable()
export class MailSink {
  private readonly logger = new Logger(MailSink.name);
  private readonly sent: Email[] = [];
  private readonly file = process.env.MAIL_SINK_FILE;

  async send(email: Omit<Email, 'sentAt'>): Promise<Email> {
    const delivered: Email = { ...email, sentAt: new Date().toISOString() };
    if (this.file) await appendFile(this.file, `${JSON.stringify(delivered)}\n`);
    this.sent.push(delivered);
    this.logger.debug(`"${email.subject}" to ${email.to}`);
    return delivered;
  }

  list(): readonly Email[] {
    return this.sent;
  }
}
