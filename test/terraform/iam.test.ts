import { describe, expect, test } from 'vitest';
import { policyDocument, trustDocument } from '../../lib/terraform/iam.js';

describe('policyDocument', () => {
  test('renders statements in IAM\'s shape, conditions only where given', () => {
    // GIVEN / WHEN
    const doc = JSON.parse(policyDocument([
      { sid: 'Read', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
      { sid: 'Deny', effect: 'Deny', actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b/*'], conditions: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]));
    // THEN
    expect(doc).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] },
        { Sid: 'Deny', Effect: 'Deny', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ],
    });
  });

  test('fails on a wildcard action, whole or per service', () => {
    expect(() => policyDocument([{ sid: 'All', actions: ['*'], resources: ['arn:aws:s3:::b'] }]))
      .toThrow('statement "All": wildcard action "*" is not allowed');
    expect(() => policyDocument([{ sid: 'S3', actions: ['s3:GetObject', 's3:*'], resources: ['arn:aws:s3:::b'] }]))
      .toThrow('statement "S3": wildcard action "s3:*" is not allowed');
  });

  test('fails without a statement', () => {
    expect(() => policyDocument([])).toThrow('an IAM policy needs at least one statement');
  });
});

describe('trustDocument', () => {
  test('renders principals and conditions', () => {
    const doc = JSON.parse(trustDocument([{ sid: 'Pods', principal: { Service: 'pods.eks.amazonaws.com' }, actions: ['sts:AssumeRole'] }]));
    expect(doc.Statement).toEqual([{ Sid: 'Pods', Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole'] }]);
  });
});
