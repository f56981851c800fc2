/**
 * Lifetimes of the offline CAs, in a module without dependencies: the configuration checks bound
 * Vault's TTLs by them (`vault.pki.issuingCaTtl`) without loading the X.509 library.
 */

/** Lifetime of the root CA, in years. */
export const ROOT_CA_LIFETIME_YEARS = 10;

/** Lifetime of the intermediate CA, in years: half the root's, so it is rotated at least once per root. */
export const INTERMEDIATE_CA_LIFETIME_YEARS = 5;

/**
 * The intermediate's lifetime in whole hours, counted as 365-day years (a few hours short of the
 * calendar years it really spans): the bound below which anything it signs must end.
 */
export const INTERMEDIATE_CA_LIFETIME_HOURS = INTERMEDIATE_CA_LIFETIME_YEARS * 365 * 24;
