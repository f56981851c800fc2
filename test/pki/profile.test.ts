import { describe, expect, it } from 'vitest';
import { pkiProfile } from '../../lib/pki/profile.js';
import { exampleConfig } from '../support/pki.js';

describe('pkiProfile', () => {
  it('derives the defaults from the example configuration', () => {
    expect(pkiProfile(exampleConfig())).toEqual({
      organization: 'Example Corp',
      country: 'FR',
      rootCommonName: 'Example Corp Root CA',
      intermediateCommonName: 'Example Corp Intermediate CA',
      privateZone: 'priv.example.com',
      permittedZones: ['priv.example.com', 'cluster.local'],
      vaultHost: 'vault.priv.example.com',
      serverDnsNames: ['vault.priv.example.com'],
      serverIpAddresses: [],
      serverKeyAlgorithm: 'ECDSA',
    });
  });

  it('adds vault.serverName and the extra names after the Vault host, once each', () => {
    const config = exampleConfig();
    config.vault.serverName = 'api.priv.example.com';
    config.pki = { serverKey: { algorithm: 'RSA' }, serverExtraDnsNames: ['vault-0.priv.example.com'], serverIpAddresses: ['::1'] };
    const profile = pkiProfile(config);
    expect(profile.serverDnsNames).toEqual(['vault.priv.example.com', 'api.priv.example.com', 'vault-0.priv.example.com']);
    expect(profile.serverIpAddresses).toEqual(['::1']);
    expect(profile.serverKeyAlgorithm).toBe('RSA');
  });

  it('permits the private zone and each allowed domain not already inside it', () => {
    const config = exampleConfig();
    config.vault.pki = { allowedDomains: ['apps.priv.example.com', 'corp.internal', 'svc.corp.internal'] };
    expect(pkiProfile(config).permittedZones).toEqual(['priv.example.com', 'corp.internal']);
  });

  it('keeps common names within the 64 characters of X.509, dropping the organization when too long', () => {
    const config = exampleConfig();
    config.organization.name = 'A'.repeat(50);
    const profile = pkiProfile(config);
    expect(profile.rootCommonName).toBe(`${'A'.repeat(50)} Root CA`);
    expect(profile.intermediateCommonName).toBe('Intermediate CA');
  });

  it('fails when vault.serverName is outside the private zone', () => {
    const config = exampleConfig();
    config.vault.serverName = 'vault.example.org';
    expect(() => pkiProfile(config)).toThrow('vault.serverName: expected a name in the private zone "priv.example.com"');
  });
});
