import { describe, expect, test } from 'vitest';
import { PrivateCertificate } from '../../lib/k8s/certificate.js';
import { ClusterIssuerRef } from '../../lib/k8s/cluster-issuer.js';
import { only, testChart, yamlOf } from '../support/k8s.js';

const vault = ClusterIssuerRef.fromName('vault');
const base = { name: 'private-gateway-tls', namespace: 'gateways', issuer: vault };

describe('PrivateCertificate', () => {
  test('default configuration: 90 days, renewed 15 days before, ECDSA P-256 rotated at every renewal', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new PrivateCertificate(chart, 'Cert', { ...base, dnsNames: ['b.priv.example.com', 'a.priv.example.com', 'b.priv.example.com'] });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const spec = only(chart, 'Certificate', 'private-gateway-tls').spec;
    expect(spec).toMatchObject({
      secretName: 'private-gateway-tls',
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'vault' },
      dnsNames: ['a.priv.example.com', 'b.priv.example.com'],
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
    });
  });

  test('duration, renewBefore, key and secret name are honoured; RSA adds key encipherment', () => {
    const chart = testChart();
    const cert = new PrivateCertificate(chart, 'Cert', {
      ...base, dnsNames: ['a.priv.example.com'], duration: '720h', renewBefore: '240h',
      privateKey: { algorithm: 'RSA', size: 3072 }, secretName: 'tls',
    });
    expect(cert.secretName).toBe('tls');
    expect(only(chart, 'Certificate').spec).toMatchObject({
      duration: '720h', renewBefore: '240h', secretName: 'tls',
      privateKey: { algorithm: 'RSA', size: 3072 },
      usages: ['server auth', 'digital signature', 'key encipherment'],
    });
  });

  test('fails when renewBefore is not shorter than duration', () => {
    expect(() => new PrivateCertificate(testChart(), 'C', { ...base, dnsNames: ['a.priv.example.com'], duration: '24h', renewBefore: '24h' }))
      .toThrow(`certificate "private-gateway-tls": 'renewBefore' (24h) must be shorter than 'duration' (24h)`);
  });

  test('fails when a duration is not a Go duration', () => {
    expect(() => new PrivateCertificate(testChart(), 'C', { ...base, dnsNames: ['a.priv.example.com'], duration: '90 days' }))
      .toThrow(`certificate "private-gateway-tls": 'duration' and 'renewBefore' must be Go durations, got "90 days" and "360h"`);
  });

  test('fails without DNS names, or with an invalid one', () => {
    expect(() => new PrivateCertificate(testChart(), 'C', { ...base, dnsNames: [] }))
      .toThrow('certificate "private-gateway-tls" needs at least one DNS name');
    expect(() => new PrivateCertificate(testChart(), 'C', { ...base, dnsNames: ['*.priv.example.com'] }))
      .toThrow('certificate "private-gateway-tls": "*.priv.example.com" is not a DNS name');
  });

  test('fails on a key size the algorithm does not have', () => {
    expect(() => new PrivateCertificate(testChart(), 'C', { ...base, dnsNames: ['a.priv.example.com'], privateKey: { size: 2048 } }))
      .toThrow(`ECDSA key 'size' must be one of 256, 384, 521, got 2048`);
  });
});
