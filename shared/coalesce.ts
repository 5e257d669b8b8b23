/**
 * Wrap a "do everything pending" job so that calls while it runs share that run, and a call that
 * arrives during a run makes it go round once more (what it asked for may have come after the
 * run looked). Resolves with the job's total over the rounds. `current()` is the run in flight.
 */
export function coalesced(job: () => Promise<number>, keepGoing: () => boolean = () => true) {
  let running: Promise<number> | null = null;
  let again = false;
  const run = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await job();
        } while (again && keepGoing());
        return total;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return Object.assign(run, { current: () => running });
}
