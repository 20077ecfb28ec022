import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../../config/config-error.js';
import { US_PER_DAY, US_PER_MINUTE, type Micros } from '../../model/instant.js';
import type { Notification } from '../../model/notification.js';
import { TimestampFormatter, fastUuid, fastXuuid } from '../fast-format.js';
import { InstancePool, type PooledInstance } from '../instance-pool.js';
import type { Rng } from '../rng.js';
import type { PlannedNotification, PlannedOperation, Scenario } from '../scenario.js';
import {
  compileTemplate,
  instantiate,
  type CompiledTemplate,
  type NamedPlaceholder,
} from './compile-template.js';

/** Options of {@link loadTemplateScenario}; every field has a default. */
export interface TemplateScenarioOptions {
  /**
   * Relative weight per operation kind (`compute.instance.reboot`, …); variants
   * of one kind share it equally. Default: create 3, delete 1, every other kind 1.
   */
  weights?: Record<string, number>;
  /** Plan only creates until this many instances are live. Default 10. */
  warmup?: number;
  /** At or above this many live instances a chosen create becomes a delete. Default 5000. */
  maxLive?: number;
  /** The daily `.exists` of each instance is emitted within this window after midnight. Default 10 min. */
  existsSpreadUs?: Micros;
}

interface InstanceAttrs {
  named: Record<NamedPlaceholder, string>;
  launchedAt: Micros;
}

const DEFAULT_WEIGHT: Record<string, number> = { 'compute.instance.create': 3, 'compute.instance.delete': 1 };
const IMAGES = [
  'Ubuntu 12.04 LTS (Precise Pangolin)',
  'CentOS 6.5',
  'Red Hat Enterprise Linux 6.5',
  'Debian 7 (Wheezy)',
  'Windows Server 2012',
];
const ROLES = ['web', 'db', 'cache', 'worker', 'build', 'api', 'queue', 'search'];
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Attributes of a new simulated instance: what fills the named placeholders. */
function newAttrs(rng: Rng): InstanceAttrs {
  const tenant = rng.int(0, 499);
  const hostNo = rng.int(1, 200);
  const display = `${rng.pick(ROLES)}-${rng.int(1, 9999)}`;
  let reservation = 'r-';
  for (let i = 0; i < 8; i++) reservation += BASE36[rng.int(0, 35)];
  const host = `compute-${hostNo}`;
  return {
    named: {
      tenant_id: String(5_800_000 + tenant * 17),
      user_id: `user-${tenant}-${rng.int(1, 3)}`,
      display_name: display,
      hostname: display,
      host,
      node: `${host}.cell-${1 + (hostNo % 4)}.example.net`,
      reservation_id: reservation,
      image_name: rng.pick(IMAGES),
      device_name: `vif-${rng.int(1, 99999)}.0`,
      publisher_id: `compute.${host}`,
    },
    launchedAt: 0,
  };
}

interface Group {
  kind: string;
  weight: number;
  templates: CompiledTemplate[];
}

/**
 * Operations from a notigen template directory; see README.md for the rules.
 * Keeps an {@link InstancePool} so templates never act on a deleted or busy
 * instance, and emits the daily audit (`eod_exists.json`) through `periodic`.
 */
export class TemplateScenario implements Scenario {
  readonly name: string;
  private readonly pool = new InstancePool<InstanceAttrs>();
  private readonly groups: Group[];
  private readonly totalWeight: number;
  private readonly creates: CompiledTemplate[];
  private readonly deletes: CompiledTemplate[];
  private readonly eod: CompiledTemplate | undefined;
  private readonly warmup: number;
  private readonly maxLive: number;
  private readonly existsSpread: Micros;
  private readonly fmt = new TimestampFormatter();

  constructor(
    name: string,
    templates: readonly CompiledTemplate[],
    groups: Group[],
    options: TemplateScenarioOptions,
  ) {
    this.name = name;
    this.groups = groups;
    this.totalWeight = groups.reduce((sum, g) => sum + g.weight, 0);
    this.creates = templates.filter((t) => t.creates);
    this.deletes = templates.filter((t) => t.deletes);
    this.eod = templates.find((t) => t.operation === 'eod');
    this.warmup = options.warmup ?? 10;
    this.maxLive = options.maxLive ?? 5000;
    this.existsSpread = options.existsSpreadUs ?? 10 * US_PER_MINUTE;
  }

  /** Live simulated instances (for tests and progress). */
  get liveInstances(): number {
    return this.pool.size;
  }

  next(at: Micros, rng: Rng): PlannedOperation | undefined {
    let template: CompiledTemplate | undefined;
    if (this.pool.size < this.warmup && this.creates.length > 0) template = rng.pick(this.creates);
    else {
      let r = rng.uniform(0, this.totalWeight);
      let group = this.groups[this.groups.length - 1] as Group;
      for (const g of this.groups) {
        if (r < g.weight) {
          group = g;
          break;
        }
        r -= g.weight;
      }
      template = rng.pick(group.templates);
      if (template.creates && this.pool.size >= this.maxLive && this.deletes.length > 0)
        template = rng.pick(this.deletes);
    }
    if (template.instanceSlot < 0) return this.plan(template, at - template.first, rng, undefined, undefined);
    if (template.creates) return this.planCreate(template, at, rng);
    const base = at - template.first;
    const inst = this.pool.acquire(rng, at, base + template.last);
    if (inst === undefined) {
      return this.creates.length > 0 ? this.planCreate(rng.pick(this.creates), at, rng) : undefined;
    }
    if (template.deletes) this.pool.remove(inst.id);
    return this.plan(template, base, rng, inst, undefined);
  }

  periodic(from: Micros, to: Micros, rng: Rng): PlannedOperation[] {
    const eod = this.eod;
    const out: PlannedOperation[] = [];
    if (eod === undefined) return out;
    for (
      let midnight = (Math.floor(from / US_PER_DAY) + 1) * US_PER_DAY;
      midnight <= to;
      midnight += US_PER_DAY
    ) {
      for (const inst of this.pool.live()) {
        if (inst.createdAt >= midnight) continue;
        let first = midnight + Math.floor(rng.uniform(0, this.existsSpread));
        if (first < inst.busyUntil) first = inst.busyUntil;
        const base = first - eod.first;
        inst.busyUntil = base + eod.last;
        out.push(this.plan(eod, base, rng, inst, midnight));
      }
    }
    out.sort((a, b) => a.start - b.start);
    return out;
  }

  private planCreate(template: CompiledTemplate, at: Micros, rng: Rng): PlannedOperation {
    const base = at - template.first;
    const attrs = newAttrs(rng);
    const id = fastUuid(rng);
    attrs.launchedAt = base + template.last;
    const op = this.plan(
      template,
      base,
      rng,
      { id, createdAt: at, busyUntil: base + template.last, attrs },
      undefined,
    );
    if (op.outcome !== 'failed') this.pool.add(id, at, base + template.last, attrs);
    return op;
  }

  private plan(
    t: CompiledTemplate,
    base: Micros,
    rng: Rng,
    inst: PooledInstance<InstanceAttrs> | undefined,
    auditEnd: Micros | undefined,
  ): PlannedOperation {
    const named = (inst?.attrs ?? newAttrs(rng)).named;
    const vals = new Array<string>(t.slots.length);
    for (let i = 0; i < t.slots.length; i++) {
      const s = t.slots[i];
      if (s === undefined) continue;
      switch (s.type) {
        case 'uuid':
          vals[i] = fastUuid(rng);
          break;
        case 'xuuid':
          vals[i] = fastXuuid(rng);
          break;
        case 'v4':
          vals[i] = rng.ipv4();
          break;
        case 'v6':
          vals[i] = rng.ipv6();
          break;
        case 'instance':
          vals[i] = inst?.id ?? fastUuid(rng);
          break;
        case 'named':
          vals[i] = named[s.field];
          break;
        case 'dt': {
          let us = base + s.offset;
          if (s.bind === 'audit_period_ending' && auditEnd !== undefined) us = auditEnd;
          else if (s.bind === 'audit_period_beginning' && auditEnd !== undefined) us = auditEnd - US_PER_DAY;
          else if (s.bind === 'launched_at' && inst !== undefined) us = inst.attrs.launchedAt;
          else if (s.bind === 'created_at' && inst !== undefined) us = inst.createdAt;
          vals[i] = this.fmt.openstack(us);
          break;
        }
      }
    }
    const notifications: PlannedNotification[] = new Array<PlannedNotification>(t.notifications.length);
    for (let i = 0; i < t.notifications.length; i++) {
      const n = t.notifications[i] as (typeof t.notifications)[number];
      notifications[i] = { at: base + n.offset, notification: instantiate(n.plan, vals) as Notification };
    }
    const requestId = (notifications[0]?.notification['_context_request_id'] as string | undefined) ?? '';
    const instanceId = t.instanceSlot >= 0 ? (vals[t.instanceSlot] as string) : undefined;
    const attributes: Record<string, string> = {
      request_id: requestId,
      template: basename(t.file),
      tenant_id: named.tenant_id,
    };
    if (instanceId !== undefined) attributes['instance_id'] = instanceId;
    if (auditEnd !== undefined) attributes['audit_period_ending'] = this.fmt.openstack(auditEnd);
    const start = base + t.first;
    return {
      kind: t.kind,
      group_by: instanceId === undefined ? 'request_id' : 'instance_id',
      id: instanceId ?? requestId,
      start,
      end: t.outcome === 'never_ended' ? null : base + t.last,
      outcome: t.outcome,
      attributes,
      notifications,
    };
  }
}

/**
 * Load a notigen template directory (every `*.json` in it) into a
 * {@link Scenario}. Each template is compiled once into an instantiation plan.
 * Throws {@link ConfigError} listing every problem (file and path) when the
 * directory or a template is unusable.
 *
 * @example
 * ```ts
 * const scenario = loadTemplateScenario('/etc/notigen/templates');
 * const rng = new Rng(42);
 * const op = scenario.next(Instant.parse('2014-06-11 16:00:00').us, rng);
 * // op.kind === 'compute.instance.create', op.notifications[0].notification.event_type …
 * ```
 */
export function loadTemplateScenario(dir: string, options: TemplateScenarioOptions = {}): TemplateScenario {
  const problems: ConfigProblem[] = [];
  let names: string[] = [];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch (cause) {
    throw new ConfigError(
      [
        {
          file: dir,
          path: '',
          message: `cannot read the notigen template directory (${(cause as Error).message})`,
        },
      ],
      { cause },
    );
  }
  if (names.length === 0) {
    throw new ConfigError([
      { file: dir, path: '', message: 'no *.json notigen templates in this directory' },
    ]);
  }
  const templates: CompiledTemplate[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      problems.push({ file, path: '', message: `not valid JSON: ${(cause as Error).message}` });
      continue;
    }
    const t = compileTemplate(file, name, doc, problems);
    if (t === undefined) continue;
    if (t.operation === 'eod' && t.instanceSlot < 0) {
      problems.push({
        file,
        path: '',
        message: 'the daily audit template needs payload.instance_id as a [[[[UUID_k]]]] placeholder',
      });
      continue;
    }
    templates.push(t);
  }
  const ops = templates.filter((t) => t.operation !== 'eod');
  if (problems.length === 0 && ops.length === 0) {
    problems.push({
      file: dir,
      path: '',
      message: 'no operation templates (only the daily eod_exists.json)',
    });
  }
  if (problems.length === 0 && ops.some((t) => t.instanceSlot >= 0) && !ops.some((t) => t.creates)) {
    problems.push({
      file: dir,
      path: '',
      message:
        'templates act on instances but none creates one; add a compute.instance.create.start_*.json template',
    });
  }
  const weights = options.weights ?? {};
  const kinds = new Set(ops.map((t) => t.kind));
  for (const [kind, w] of Object.entries(weights)) {
    if (!kinds.has(kind))
      problems.push({
        file: dir,
        path: `weights.${kind}`,
        message: `no template of this kind; kinds are ${[...kinds].join(', ')}`,
      });
    else if (!(w >= 0) || !Number.isFinite(w))
      problems.push({ file: dir, path: `weights.${kind}`, message: `expected a weight >= 0, got ${w}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const groups: Group[] = [];
  for (const kind of kinds) {
    const weight = weights[kind] ?? DEFAULT_WEIGHT[kind] ?? 1;
    if (weight > 0) groups.push({ kind, weight, templates: ops.filter((t) => t.kind === kind) });
  }
  if (groups.length === 0)
    throw new ConfigError([{ file: dir, path: 'weights', message: 'every weight is 0' }]);
  return new TemplateScenario(`notigen:${basename(dir)}`, templates, groups, options);
}
