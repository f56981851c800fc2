import { describe, expect, test } from 'vitest';
import { ACME_DIRECTORIES, GatewayHttp01Solver, LetsEncryptIssuer, Route53Solver } from '../../lib/k8s/letsencrypt-issuer.js';
import { only, testChart, yamlOf } from '../support/k8s.js';

const dns01 = new Route53Solver({ zone: 'example.com', hostedZoneID: 'Z0123456789ABC', region: 'eu-west-3' });

describe('LetsEncryptIssuer', () => {
  test('default configuration: staging, DNS-01 on the zone, account key generated in cluster', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    const issuer = new LetsEncryptIssuer(chart, 'Staging', { email: 'ops@example.com', dns01 });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const ci = only(chart, 'ClusterIssuer', 'letsencrypt-staging');
    expect(ci.metadata.namespace).toBeUndefined();
    expect(ci.spec.acme).toEqual({
      server: ACME_DIRECTORIES.staging,
      email: 'ops@example.com',
      privateKeySecretRef: { name: 'letsencrypt-staging-account-key' },
      solvers: [{
        selector: { dnsZones: ['example.com'] },
        dns01: { route53: { region: 'eu-west-3', hostedZoneID: 'Z0123456789ABC' } },
      }],
    });
    expect(issuer.issuerName).toBe('letsencrypt-staging');
  });

  test('production uses the production directory and the article\'s name', () => {
    const chart = testChart();
    const issuer = new LetsEncryptIssuer(chart, 'Prod', { email: 'ops@example.com', environment: 'production', dns01 });
    expect(issuer.issuerName).toBe('letsencrypt-prod');
    expect(only(chart, 'ClusterIssuer').spec.acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
  });

  test('route53 without a zone id looks the zone up and sends no hostedZoneID', () => {
    const chart = testChart();
    new LetsEncryptIssuer(chart, 'Prod', {
      email: 'ops@example.com', dns01: new Route53Solver({ zone: 'example.com', region: 'eu-west-1' }),
    });
    expect(only(chart, 'ClusterIssuer').spec.acme.solvers[0].dns01.route53).toEqual({ region: 'eu-west-1' });
  });

  test('an HTTP-01 solver through the Gateway comes after DNS-01, without selector', () => {
    const chart = testChart();
    new LetsEncryptIssuer(chart, 'Prod', {
      email: 'ops@example.com', dns01,
      http01: new GatewayHttp01Solver({ gatewayName: 'public', gatewayNamespace: 'gateways' }),
    });
    const solvers = only(chart, 'ClusterIssuer').spec.acme.solvers;
    expect(solvers).toHaveLength(2);
    expect(solvers[1]).toEqual({
      http01: {
        gatewayHTTPRoute: {
          parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'http' }],
        },
      },
    });
  });

  test('fails when the e-mail is not an address', () => {
    expect(() => new LetsEncryptIssuer(testChart(), 'Prod', { email: 'ops@', dns01 }))
      .toThrow(`'email' must be an e-mail address, got "ops@"`);
  });

  test('fails when the route53 zone or zone id is malformed', () => {
    expect(() => new Route53Solver({ zone: 'Example.com.', region: 'eu-west-3' }))
      .toThrow(`route53 solver 'zone' must be a DNS name, got "Example.com."`);
    expect(() => new Route53Solver({ zone: 'example.com', hostedZoneID: '/hostedzone/Z1', region: 'eu-west-3' }))
      .toThrow(`route53 solver 'hostedZoneID' must be a Route53 zone id such as "Z0123456789ABC", got "/hostedzone/Z1"`);
  });
});
