/**
 * Values left over from the example configuration once it is made one's own: the account id that
 * AWS's documentation uses (`123456789012`) and the example's hosted zone ids (`Z0123456789EXAMPLEPUB`)
 * pass every rule of form, yet name nothing of the user's. They are only refused "outside the
 * example", which the zones decide: as soon as `dns.publicZone.name` or `dns.privateZone.name` is
 * not one of the domains reserved for documentation (example.com, example.net, example.org, RFC
 * 2606) or below one, the configuration describes a real platform.
 */

import { isInDnsZone, isRoute53ZoneId } from '../util/validators.js';
import { expectedGot, isMapping, type Path, type Problems, type ValidDns } from './rules.js';

/** The account id of AWS's documentation examples, which the example configuration uses. */
export const DOCUMENTATION_ACCOUNT_ID = '123456789012';

/** What marks the example's hosted zone ids (`Z0123456789EXAMPLEPUB`, `Z0123456789EXAMPLEPRV`). */
export const EXAMPLE_ZONE_ID_MARK = 'EXAMPLE';

/** The second-level domains reserved for documentation (RFC 2606 section 3). */
export const EXAMPLE_DOMAINS: readonly string[] = ['example.com', 'example.net', 'example.org'];

/** The documentation account id as a whole number in a string: alone, in an ARN, in a bucket name. */
const DOCUMENTATION_ACCOUNT_ID_IN_TEXT = new RegExp(`(^|\\D)${DOCUMENTATION_ACCOUNT_ID}(\\D|$)`);

/** Whether the zones describe a platform other than the example: one of them outside the documentation domains. */
export function isOutsideExample(dns: ValidDns): boolean {
  return [dns.publicZone, dns.privateZone].some((zone) =>
    zone !== undefined && !EXAMPLE_DOMAINS.some((domain) => isInDnsZone(zone, domain)));
}

/**
 * Reports every string of the configuration holding the documentation account id, and every
 * hosted zone id holding "EXAMPLE", once the zones are no longer the example's; at the path of each,
 * in document order.
 */
export function checkLeftovers(problems: Problems, raw: unknown, dns: ValidDns): void {
  if (!isOutsideExample(dns)) return;
  const zones = [dns.publicZone, dns.privateZone].filter((zone) => zone !== undefined).join(' and ');
  const why = `left over from the example, while the zones (${zones}) are your own`;
  const visit = (value: unknown, path: Path): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    } else if (typeof value === 'string') {
      if (DOCUMENTATION_ACCOUNT_ID_IN_TEXT.test(value)) {
        problems.add(path, expectedGot('your own AWS account id', value,
          `${DOCUMENTATION_ACCOUNT_ID} is the account id of AWS's documentation, ${why}: give the id of your account`));
      } else if (isRoute53ZoneId(value) && value.includes(EXAMPLE_ZONE_ID_MARK)) {
        problems.add(path, expectedGot('the id of your own Route53 hosted zone', value,
          `the example's zone id, ${why}: give the id Route53 shows for the zone`));
      }
    }
  };
  visit(raw, []);
}
