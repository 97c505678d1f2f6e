/**
 * "Fail the first N requests, then answer": what a retry test needs (toxiproxy#404). The
 * server counts the requests that reach a `respond` step, across connections, and plays a fault
 * for the first N instead of the response.
 */
import { invalidArgType, validateInteger, validateKeys, validateObject } from '../controls/validate.js';
import { HTTP_FAULTS, type HttpFault } from './steps.js';

export interface FailFirst {
  /** How many requests fail, counted across connections. */
  requests: number;
  /**
   * What they get: one of WireMock's faults ({@link HttpFault}), or a status (`503`) answered
   * with an empty body on a connection kept alive.
   */
  with: HttpFault | number;
}

/** Checks `failFirst` and returns its counter: `take()` gives the fault for the next request, or undefined. */
export function checkFailFirst(value: unknown, name: string): { take: () => HttpFault | number | undefined } {
  const o = validateObject(value as FailFirst, name);
  validateKeys(o, name, ['requests', 'with']);
  const requests = validateInteger(o.requests, `${name}.requests`, 0, 1_000_000);
  const fault = o.with;
  if (typeof fault === 'number') validateInteger(fault, `${name}.with`, 100, 599);
  else if (typeof fault !== 'string' || !(HTTP_FAULTS as readonly string[]).includes(fault)) {
    throw invalidArgType(`${name}.with`, `a status (100-599) or one of '${HTTP_FAULTS.join("', '")}'`, fault);
  }
  let failed = 0;
  return { take: () => (failed < requests ? (failed++, fault as HttpFault | number) : undefined) };
}
