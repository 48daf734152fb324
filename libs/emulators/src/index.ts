export { freePort, type RunningServer } from './process';
export { startFauxqs, startMoto, startRedis } from './servers';
