/**
 * The core Kubernetes kinds the platform emits, as cdk8s ApiObjects typed by the interfaces of
 * `kubernetes-models` (imported as types only: nothing of that package reaches the synth bundle).
 *
 * cdk8s-plus-28's generated classes did the same job with 280 KB of CommonJS, which esbuild cannot
 * tree-shake and every synth evaluated at start. Field names are the API's own (camelCase JSON), so
 * the object is written as given; cdk8s drops undefined fields and sorts keys as for every object.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

export type { IContainer as Container, IEnvVar as EnvVar, IPodSpec as PodSpec, ISecurityContext as SecurityContext, IVolume as Volume }
  from 'kubernetes-models/v1';

/** An object's fields but its group, version and kind, which the class sets. */
type Body<T> = Omit<T, 'apiVersion' | 'kind'>;

export class KubeNamespace extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<INamespace>) {
    super(scope, id, { apiVersion: 'v1', kind: 'Namespace', ...body });
  }
}

export class KubeConfigMap extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<IConfigMap>) {
    super(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', ...body });
  }
}

export class KubeServiceAccount extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<IServiceAccount>) {
    super(scope, id, { apiVersion: 'v1', kind: 'ServiceAccount', ...body });
  }
}

export class KubeRole extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<IRole>) {
    super(scope, id, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', ...body });
  }
}

export class KubeRoleBinding extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<IRoleBinding>) {
    super(scope, id, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', ...body });
  }
}

export class KubeCronJob extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<ICronJob>) {
    super(scope, id, { apiVersion: 'batch/v1', kind: 'CronJob', ...body });
  }
}

export class KubeNetworkPolicy extends ApiObject {
  constructor(scope: Construct, id: string, body: Body<INetworkPolicy>) {
    super(scope, id, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...body });
  }
}
