export {
  EventsHealthIndicator,
  type EventsHealthCheckOptions,
  type EventsHealthDetails,
  type TransportHealthDetails,
} from './events-health.indicator';
export { EventsHealthModule } from './events-health.module';
