/**
 * A bundle answered a request with something other than 200: the bench stops there (scripts/bench.ts
 * prints this one line and exits 1) instead of printing figures measured on failures.
 */
export class BundleFailure extends Error {
  constructor(bundle: string, request: string, status: number, body = '') {
    super(`${bundle} answered ${request} with ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'BundleFailure';
  }
}
