export { freePort, type RunningServer } from './process';
export {
  LOCALSTACK_SERVICES,
  startFauxqs,
  startLocalStack,
  startMoto,
  startRedis,
} from './servers';
