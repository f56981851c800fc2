import * as plus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';

export interface PlatformNamespaceProps {
  readonly name: string;
  /**
   * Pod Security Standard the namespace enforces; `audit` and `warn` always report against
   * `restricted`, so that a pod falling short of it shows even where `baseline` is enforced.
   * @default 'restricted'
   */
  readonly enforce?: 'restricted' | 'baseline';
  /** More labels (trust-manager's selector, for instance). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The namespace holds state nothing in `dist/` can recreate (ACME account keys, TLS Secrets,
   * AppRole secret ids): Flux never prunes it ({@link PRUNE_DISABLED_ANNOTATION}), since deleting a
   * namespace deletes every Secret in it.
   * @default false
   */
  readonly keepOnPrune?: boolean;
}

/** A namespace the platform creates: our label, and its Pod Security Standard. */
export function platformNamespace(scope: Construct, id: string, props: PlatformNamespaceProps): plus.Namespace {
  return new plus.Namespace(scope, id, {
    metadata: {
      name: props.name,
      labels: {
        ...MANAGED_BY_LABEL,
        'pod-security.kubernetes.io/enforce': props.enforce ?? 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        ...props.labels,
      },
      annotations: props.keepOnPrune ? { ...PRUNE_DISABLED_ANNOTATION } : undefined,
    },
  });
}
