export { NotificationsServiceModule } from './app.module';
export { NotificationsModule } from './notifications.module';
export { MailSink, type Email } from './email/mail.sink';
export { PointsLedger } from './points/points.ledger';
export { POINTS_RATE } from './points/points.handler';
