import { Injectable } from '@nestjs/common';

/** A handler run that outlived its timeout and has not settled yet. */
export interface StuckHandler {
  readonly handler: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly timeoutMs: number;
  /** When the timeout passed. */
  readonly since: Date;
}

/**
 * The handler runs of one application that timed out and are still running: their delivery was
 * given up (and retried) but their code goes on, holding whatever it holds. Health checks read it.
 */
@Injectable()
export class StuckHandlers {
  private readonly running = new Set<StuckHandler>();

  /** Records a stuck run; the function it returns removes it once the run settles. */
  add(entry: StuckHandler): () => void {
    this.running.add(entry);
    return () => this.running.delete(entry);
  }

  /** The stuck runs, oldest first. */
  list(): StuckHandler[] {
    return [...this.running];
  }
}
