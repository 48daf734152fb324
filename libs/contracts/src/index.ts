export * from './notifications.events';
export * from './orders.events';
export * from './users.events';
