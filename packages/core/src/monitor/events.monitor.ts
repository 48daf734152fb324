import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { EventNotification } from './event-notification.interface';

/**
 * The lifecycle of every event in one application: published, handled, skipped, retrying,
 * dead-lettered. Subscribe for metrics, tracing or an audit trail; nothing is built when no one
 * listens.
 */
@Injectable()
export class EventsMonitor {
  private readonly subject = new Subject<EventNotification>();
  readonly notifications$: Observable<EventNotification> = this.subject.asObservable();

  /** True while someone listens; producers check it before building a notification. */
  get observed(): boolean {
    return this.subject.observed;
  }

  /** @internal Reports a notification; called by the bus and the dispatcher. */
  notify(notification: EventNotification): void {
    this.subject.next(notification);
  }
}
