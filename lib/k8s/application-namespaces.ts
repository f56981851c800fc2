import type * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { platformNamespace } from './namespace.js';

export interface ApplicationNamespacesProps {
  /** The namespaces to create; each once, whatever the order or repetitions. */
  readonly namespaces: readonly string[];
  /** The labels trust-manager's Bundle selects namespaces by (`trust.namespaceLabels`). */
  readonly trustNamespaceLabels: Readonly<Record<string, string>>;
}

/**
 * The namespaces of the applications that ask for one (`applications[].createNamespace`): restricted
 * Pod Security enforced, the trust label so that the private root reaches them, and never pruned
 * by Flux, since they hold the applications themselves and deleting a namespace deletes all of it.
 * Sorted by name, so the output does not depend on the order of the applications.
 */
export class ApplicationNamespaces extends Construct {
  public readonly namespaces: readonly plus.Namespace[];

  constructor(scope: Construct, id: string, props: ApplicationNamespacesProps) {
    super(scope, id);
    if (props.namespaces.length === 0) throw new Error('ApplicationNamespaces needs at least one namespace');
    const names = [...new Set(props.namespaces)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.namespaces = names.map((name) => platformNamespace(this, name, {
      name,
      enforce: 'restricted',
      labels: props.trustNamespaceLabels,
      keepOnPrune: true,
    }));
  }
}
