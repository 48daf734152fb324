import { Module } from '@nestjs/common';
import { EmailHandler } from './email/email.handler';
import { EmailsController } from './email/emails.controller';
import { MailSink } from './email/mail.sink';
import { PaymentGateway } from './payments/payment.gateway';
import { PaymentsHandler } from './payments/payments.handler';
import { PointsController } from './points/points.controller';
import { PointsHandler } from './points/points.handler';
import { PointsLedger } from './points/points.ledger';

/** The notification service's handlers. Needs EventsModule (global) in the application. */
@Module({
  controllers: [EmailsController, PointsController],
  providers: [EmailHandler, MailSink, PaymentsHandler, PaymentGateway, PointsHandler, PointsLedger],
  exports: [MailSink, PointsLedger],
})
export class NotificationsModule {}
