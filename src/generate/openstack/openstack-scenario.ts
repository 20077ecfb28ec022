import { US_PER_DAY, US_PER_SECOND, type Micros } from '../../model/instant.js';
import { InstancePool } from '../instance-pool.js';
import { fastUuid, fastXuuid, TimestampFormatter } from '../fast-format.js';
import type { Rng } from '../rng.js';
import type { PlannedNotification, PlannedOperation, Scenario } from '../scenario.js';
import { ADMIN_ROLES, cumulative, FLAVORS, IMAGES, NAME_WORDS, ROLES, type Flavor } from './catalog.js';
import type { Delay, OperationDef, StepDef } from './operation-def.js';
import { CREATE, INSTANCE_OPERATIONS } from './operations.js';
import {
  contextFields,
  exceptionPayload,
  fixedFields,
  instancePayload,
  makeImageMeta,
  notification,
  requestSpec,
  type AuditFields,
  type Built,
  type OsInstance,
  type RequestContext,
  type StepState,
} from './payloads.js';

/** Options of {@link openstackScenario}; every one has a sensible default. */
export interface OpenStackScenarioOptions {
  /** Compute hosts (`compute.host-1` ...); default 200. */
  hosts?: number;
  /** Tenants (projects); default 500. */
  tenants?: number;
  /** Multiplies every operation's failure probability; 0 turns failures off. Default 1. */
  failureScale?: number;
  /** Emit the daily `compute.instance.exists` audit; default true. */
  exists?: boolean;
  /** The operations on existing instances (default: all built-in ones). */
  operations?: readonly OperationDef[];
}

interface Tenant {
  id: string;
  users: { id: string; name: string }[];
}

const FLAVOR_CUM = cumulative(FLAVORS.map((f) => f.weight));
const IMAGE_CUM = cumulative(IMAGES.map((i) => i.weight));
/** Weight of all non-create operations an active instance can get, for the create share. */
const CREATE_BASE = 10;
const CREATE_BOOST = 400;
/** Deletes get likelier as the population grows past this. */
const POPULATION_SCALE = 400;
/** The audit runs within this many seconds after midnight. */
const AUDIT_SPREAD_S = 300;

function weighted<T>(rng: Rng, items: readonly T[], cum: readonly number[]): T {
  const x = rng.float() * (cum[cum.length - 1] as number);
  let i = 0;
  while (i < cum.length - 1 && (cum[i] as number) <= x) i++;
  return items[i] as T;
}

function delaySeconds(rng: Rng, d: Delay): number {
  if (Array.isArray(d)) {
    const [min, max] = d as readonly [number, number];
    return min === max ? min : rng.uniform(min, max);
  }
  const n = d as { mean: number; sd: number; min: number; max: number };
  return rng.normal(n.mean, n.sd, n.min, n.max);
}

/**
 * The built-in OpenStack (Nova) scenario: instances are created, resized,
 * rebuilt, snapshotted, rebooted, powered off and on, rescued and deleted, with
 * notifications shaped and timed like a real cloud's; every live instance gets
 * `compute.instance.exists` shortly after midnight. The operations are data
 * (see `operations.ts`); this class interprets them.
 *
 * Rules that keep sequences possible: an operation takes an idle instance (an
 * {@link InstancePool}) and holds it until its last notification; a delete
 * removes the instance when it starts, so nothing follows a delete; the only
 * notification that may interleave with a running operation is the nightly
 * `.exists` audit (as in Nova), and an instance is held until its audit is out.
 * Failures: creates fail with probability 3% (an `error` update, then
 * `compute.instance.create.error` with priority ERROR: truth outcome `failed`,
 * the instance stays in state `error` until deleted); rebuild, rescue, snapshot
 * and delete fail now and then with Nova's `*_instance` ERROR notification.
 */
export class OpenStackScenario implements Scenario {
  readonly name = 'openstack';
  private readonly pool = new InstancePool<OsInstance>();
  private readonly fmt = new TimestampFormatter();
  private readonly tenants: (Tenant | undefined)[];
  private readonly hosts: number;
  private readonly failureScale: number;
  private readonly exists: boolean;
  /** Instances whose deletion started and that still get a `.exists` (for the period it ends in). */
  private deleted: { inst: OsInstance; end: Micros }[] = [];
  private readonly operations: readonly OperationDef[];
  private readonly otherWeight: number;

  constructor(options: OpenStackScenarioOptions = {}) {
    this.hosts = Math.max(1, options.hosts ?? 200);
    this.tenants = new Array<Tenant | undefined>(Math.max(1, options.tenants ?? 500)).fill(undefined);
    this.failureScale = options.failureScale ?? 1;
    this.exists = options.exists ?? true;
    this.operations = options.operations ?? INSTANCE_OPERATIONS;
    this.otherWeight = this.operations
      .filter((d) => d.from.includes('active'))
      .reduce((s, d) => s + d.weight, 0);
  }

  /** Live instances (for tests and summaries). */
  get liveInstances(): number {
    return this.pool.size;
  }

  next(at: Micros, rng: Rng): PlannedOperation | undefined {
    const live = this.pool.size;
    const createWeight = CREATE_BASE + CREATE_BOOST / (1 + live);
    if (
      live === 0 ||
      this.otherWeight === 0 ||
      rng.float() * (createWeight + this.otherWeight) < createWeight
    ) {
      return this.create(at, rng);
    }
    const inst = this.pool.acquire(rng, at, at + 1);
    if (inst === undefined) return this.create(at, rng);
    const state = inst.attrs.state;
    const scale = Math.max(1, live / POPULATION_SCALE);
    let total = 0;
    for (const d of this.operations)
      if (d.from.includes(state as never)) total += d.to === 'deleted' ? d.weight * scale : d.weight;
    let x = rng.float() * total;
    let def: OperationDef | undefined;
    for (const d of this.operations) {
      if (!d.from.includes(state as never)) continue;
      def = d;
      x -= d.to === 'deleted' ? d.weight * scale : d.weight;
      if (x < 0) break;
    }
    if (def === undefined) {
      inst.busyUntil = at;
      return undefined;
    }
    const op = this.plan(def, inst.attrs, at, rng);
    inst.busyUntil = (op.notifications[op.notifications.length - 1]?.at ?? at) + 1;
    if (def.to === 'deleted') {
      this.pool.remove(inst.id);
      // Audited once more for every period it lived in (Nova audits instances deleted in the period too).
      this.deleted.push({ inst: inst.attrs, end: op.notifications[op.notifications.length - 1]?.at ?? at });
    }
    return op;
  }

  periodic(from: Micros, to: Micros, rng: Rng): PlannedOperation[] {
    if (!this.exists) return [];
    const out: PlannedOperation[] = [];
    for (let m = (Math.floor(from / US_PER_DAY) + 1) * US_PER_DAY; m <= to; m += US_PER_DAY) {
      for (const pi of this.pool.live()) {
        const inst = pi.attrs;
        if (inst.createEnd > m) continue;
        const t = m + rng.int(US_PER_SECOND, AUDIT_SPREAD_S * US_PER_SECOND);
        pi.busyUntil = Math.max(pi.busyUntil, t + 1);
        out.push(this.existsOp(inst, t, m, rng));
      }
      // Deleted instances: audited for the period their deletion falls in (and each one it spans).
      for (const d of this.deleted) {
        if (d.inst.createEnd > m || d.end <= m - US_PER_DAY) continue;
        const t = m + rng.int(US_PER_SECOND, AUDIT_SPREAD_S * US_PER_SECOND);
        out.push(this.existsOp(d.inst, t, m, rng));
      }
      this.deleted = this.deleted.filter((d) => d.end > m);
    }
    out.sort((a, b) => a.start - b.start);
    return out;
  }

  private tenant(rng: Rng): Tenant {
    const i = rng.int(0, this.tenants.length - 1);
    let t = this.tenants[i];
    if (t === undefined) {
      const n = rng.int(1, 3);
      const users: { id: string; name: string }[] = [];
      for (let k = 0; k < n; k++) users.push({ id: fastXuuid(rng), name: `user${rng.int(1000, 999999)}` });
      t = { id: String(rng.int(100000, 9999999)), users };
      this.tenants[i] = t;
    }
    return t;
  }

  private create(at: Micros, rng: Rng): PlannedOperation {
    const tenant = this.tenant(rng);
    const user = rng.pick(tenant.users);
    const flavor = weighted(rng, FLAVORS, FLAVOR_CUM);
    const image = weighted(rng, IMAGES, IMAGE_CUM);
    const imageRef = fastUuid(rng);
    const hostN = rng.int(1, this.hosts);
    const uuid = fastUuid(rng);
    const name = `${rng.pick(NAME_WORDS)}-${rng.int(1, 999)}`;
    const base: Omit<OsInstance, 'fixed'> = {
      uuid,
      tenantId: tenant.id,
      userId: user.id,
      userName: user.name,
      displayName: name,
      hostname: name,
      host: `host-${hostN}`,
      node: `host-${hostN}.compute.example.net`,
      publisher: `compute.host-${hostN}`,
      flavor,
      image,
      imageRef,
      imageMeta: makeImageMeta(image, imageRef),
      imageRefUrl: `http://${rng.ipv4()}:9292/images/${imageRef}`,
      ipv4: rng.ipv4(),
      ipv6: rng.ipv6(),
      reservationId: `r-${fastXuuid(rng).slice(0, 8)}`,
      createdAt: this.fmt.openstack(at),
      launchedAt: '',
      state: 'building',
      createEnd: at,
    };
    const inst: OsInstance = { ...base, fixed: fixedFields(base) };
    const op = this.plan(CREATE, inst, at, rng);
    const last = (op.notifications[op.notifications.length - 1]?.at ?? at) + 1;
    inst.createEnd = last;
    this.pool.add(uuid, at, last, inst);
    return op;
  }

  private context(rng: Rng, at: Micros, inst: OsInstance): RequestContext {
    const c = {
      requestId: `req-${fastUuid(rng)}`,
      authToken: fastXuuid(rng),
      remoteAddress: rng.ipv4(),
      timestamp: this.fmt.openstack(at - rng.int(50_000, 400_000)),
      isAdmin: inst.userName.endsWith('0'),
      roles: ROLES,
    };
    return { ...c, fragment: contextFields(inst, c) };
  }

  private plan(def: OperationDef, inst: OsInstance, at: Micros, rng: Rng): PlannedOperation {
    const steps: StepDef[] = [];
    for (const s of def.steps) {
      const n = s.repeat === undefined ? 1 : rng.int(s.repeat[0], s.repeat[1]);
      for (let i = 0; i < n; i++) steps.push(s);
    }
    const failure = def.failure;
    let failed = false;
    if (failure !== undefined && rng.chance(failure.p * this.failureScale)) {
      failed = true;
      const k = Math.min(steps.length - 1, rng.int(failure.afterSteps[0], failure.afterSteps[1]));
      steps.length = k;
      for (const s of failure.steps) steps.push(s);
    }
    const startState = inst.state;
    const oldFlavor = inst.flavor;
    const before: AuditFields = {
      state: startState,
      flavor: oldFlavor,
      launchedAt: inst.launchedAt,
      deletedAt: '',
    };
    const auditSteps: (AuditFields & { at: Micros })[] = [];
    let newFlavor: Flavor = oldFlavor;
    if (def.newFlavor === true) {
      while (newFlavor === oldFlavor && FLAVORS.length > 1) newFlavor = weighted(rng, FLAVORS, FLAVOR_CUM);
    }
    let ctx = this.context(rng, at, inst);
    const requestId = ctx.requestId;
    const apiPublisher = `api.api-${rng.int(1, 4)}`;
    const schedPublisher = `scheduler.sched-${rng.int(1, 3)}`;
    const s: StepState = {
      state: startState,
      flavor: oldFlavor,
      launchedAt: inst.launchedAt,
      deletedAt: '',
      taskState: null,
    };
    let specJson: string | undefined;
    let spec: Record<string, unknown> | undefined;
    const notifications: PlannedNotification[] = [];
    const phaseStart = new Map<string, Micros>();
    const phases: Record<string, number> = {};
    let start: Micros = at;
    let end: Micros | null = null;
    let t = at;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as StepDef;
      if (i > 0) t += Math.max(1, Math.round(delaySeconds(rng, step.after) * US_PER_SECOND));
      if (step.newRequest === true) ctx = this.context(rng, t, inst);
      if (step.flavor !== undefined) s.flavor = step.flavor === 'new' ? newFlavor : oldFlavor;
      const ts = this.fmt.openstack(t);
      if (step.launch === true) s.launchedAt = ts;
      if (step.terminate === true) s.deletedAt = ts;
      const stateRef = step.state === undefined ? '$' : step.state;
      s.state = stateRef === '$' ? startState : stateRef;
      const isUpdate = step.old !== undefined;
      if (isUpdate) s.taskState = step.task ?? null;
      const eventType = step.event.startsWith('.') ? def.kind + step.event : step.event;
      const publisher =
        step.publisher === 'api'
          ? apiPublisher
          : step.publisher === 'scheduler'
            ? schedPublisher
            : inst.publisher;
      let payload: Built;
      if (step.body === 'scheduler') {
        spec ??= requestSpec(inst);
        specJson ??= JSON.stringify(spec);
        if (eventType === 'scheduler.run_instance.scheduled') {
          const wh = { host: inst.host, weight: rng.int(1, 100000) / 10 };
          payload = {
            obj: { request_spec: spec, weighted_host: wh, instance_id: inst.uuid },
            json: `{"request_spec":${specJson},"weighted_host":${JSON.stringify(wh)},"instance_id":"${inst.uuid}"}`,
          };
        } else payload = { obj: { request_spec: spec }, json: `{"request_spec":${specJson}}` };
      } else if (step.body === 'exception') {
        payload = exceptionPayload(inst, s, failure?.message ?? 'operation failed');
      } else if (isUpdate) {
        payload = instancePayload(inst, s, {
          old_state: step.old === '$' ? startState : (step.old ?? null),
          old_task_state: step.oldTask ?? null,
          new_task_state: step.task ?? null,
          bandwidth: {},
          audit_period_beginning: this.fmt.openstack(Math.floor(t / US_PER_DAY) * US_PER_DAY),
          audit_period_ending: ts,
        });
      } else if (step.priority === 'ERROR') {
        payload = instancePayload(inst, s, {
          message: `${failure?.message ?? 'operation failed'} (instance ${inst.uuid})`,
          code: 500,
        });
      } else payload = instancePayload(inst, s);
      notifications.push({
        at: t,
        notification: notification(
          eventType,
          ts,
          publisher,
          step.priority ?? 'INFO',
          fastUuid(rng),
          fastXuuid(rng),
          ctx,
          inst,
          payload,
        ),
      });
      auditSteps.push({
        at: t,
        state: s.state ?? startState,
        flavor: s.flavor,
        launchedAt: s.launchedAt,
        deletedAt: s.deletedAt,
      });
      if (step.mark === 'start') start = t;
      else if (step.mark === 'end') end = t;
      if (step.phase !== undefined) {
        const [name, edge] = step.phase;
        if (edge === 'start') phaseStart.set(name, t);
        else {
          const p0 = phaseStart.get(name);
          if (p0 !== undefined) phases[name] = (t - p0) / US_PER_SECOND;
        }
      }
    }
    inst.state = failed ? (failure as { to: string }).to : def.to;
    inst.launchedAt = s.launchedAt;
    inst.flavor = s.flavor;
    inst.lastOp = { before, steps: auditSteps };
    const attributes: Record<string, string> = {
      request_id: requestId,
      tenant_id: inst.tenantId,
      host: inst.host,
    };
    if (def.label !== undefined) attributes['variant'] = def.label;
    return {
      kind: def.kind,
      group_by: 'instance_id',
      id: inst.uuid,
      start,
      end,
      outcome: end === null ? 'never_ended' : failed ? 'failed' : 'completed',
      ...(Object.keys(phases).length > 0 ? { phases } : {}),
      attributes,
      notifications,
    };
  }

  private existsOp(inst: OsInstance, t: Micros, midnight: Micros, rng: Rng): PlannedOperation {
    const begin = this.fmt.openstack(midnight - US_PER_DAY);
    const end = this.fmt.openstack(midnight);
    const c = {
      requestId: `req-${fastUuid(rng)}`,
      authToken: null,
      remoteAddress: null,
      timestamp: this.fmt.openstack(t - rng.int(1000, 50_000)),
      isAdmin: true,
      roles: ADMIN_ROLES,
    };
    const ctx: RequestContext = { ...c, fragment: contextFields(inst, c) };
    const asOf = auditFieldsAt(inst, midnight);
    const s: StepState = {
      state: asOf.state,
      flavor: asOf.flavor,
      launchedAt: asOf.launchedAt,
      deletedAt: asOf.deletedAt,
      taskState: null,
    };
    const payload = instancePayload(inst, s, {
      bandwidth: {
        public: { bw_in: rng.int(0, 1e9), bw_out: rng.int(0, 1e8) },
        private: { bw_in: rng.int(0, 5e9), bw_out: rng.int(0, 5e8) },
      },
      audit_period_beginning: begin,
      audit_period_ending: end,
    });
    const n = notification(
      'compute.instance.exists',
      this.fmt.openstack(t),
      inst.publisher,
      'INFO',
      fastUuid(rng),
      fastXuuid(rng),
      ctx,
      inst,
      payload,
    );
    return {
      kind: 'compute.instance.exists',
      group_by: 'instance_id',
      id: inst.uuid,
      start: t,
      end: t,
      outcome: 'completed',
      attributes: {
        request_id: ctx.requestId,
        audit_period_beginning: this.fmt.iso(midnight - US_PER_DAY),
        audit_period_ending: this.fmt.iso(midnight),
      },
      notifications: [{ at: t, notification: n }],
    };
  }
}

/**
 * The built-in OpenStack scenario.
 *
 * ```ts
 * const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 600, count: 1000, seed: 7 });
 * ```
 */
export function openstackScenario(options: OpenStackScenarioOptions = {}): OpenStackScenario {
  return new OpenStackScenario(options);
}

/**
 * The instance as its last notification before `midnight` described it (Nova's
 * audit reports the instance as it was at the end of the period): the fields
 * after the latest operation, unless that operation was still running then.
 */
function auditFieldsAt(inst: OsInstance, midnight: Micros): AuditFields {
  const op = inst.lastOp;
  const last = op?.steps[op.steps.length - 1];
  const current: AuditFields = {
    state: inst.state,
    flavor: inst.flavor,
    launchedAt: inst.launchedAt,
    deletedAt: last?.deletedAt ?? '',
  };
  if (op === undefined || last === undefined || last.at < midnight) return current;
  let fields: AuditFields = op.before;
  for (const step of op.steps) {
    if (step.at >= midnight) break;
    fields = step;
  }
  return fields;
}
