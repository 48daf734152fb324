export { EventProbe, type WaitOptions } from './event-probe';
