export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** What a worker prints once it consumes; the orchestrator waits for it. */
export const READY_LINE = 'reliability-worker ready';
