export { freePort, type RunningServer } from './process';
export { startPostgres } from './postgres';
export {
  LOCALSTACK_SERVICES,
  startFauxqs,
  startLocalStack,
  startMoto,
  startRedis,
} from './servers';
