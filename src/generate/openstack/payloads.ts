import { fragment, PRESERIALIZED, type Fragment, type MaybePreserialized } from '../preserialized.js';
import type { Flavor, Image } from './catalog.js';

/** What the scenario knows about one simulated instance; shared sub-objects are built once. */
export interface OsInstance {
  uuid: string;
  tenantId: string;
  userId: string;
  userName: string;
  displayName: string;
  hostname: string;
  host: string;
  node: string;
  /** `compute.<host>` */
  publisher: string;
  flavor: Flavor;
  image: Image;
  imageRef: string;
  /** The same object in every notification of this instance. */
  imageMeta: Record<string, string>;
  /** The payload fields that never change for this instance, serialized once. */
  fixed: Fragment;
  imageRefUrl: string;
  ipv4: string;
  ipv6: string;
  reservationId: string;
  /** `created_at`, OpenStack form. */
  createdAt: string;
  /** `launched_at`, `""` until launched. */
  launchedAt: string;
  state: string;
  /** When the create operation's last notification goes out (no `.exists` before). */
  createEnd: number;
  /**
   * The latest operation planned for it: the fields before it and after each of
   * its notifications, so a nightly `.exists` can describe the instance as its
   * last notification before midnight did, even while that operation runs on.
   */
  lastOp?: {
    readonly before: AuditFields;
    readonly steps: readonly (AuditFields & { readonly at: number })[];
  };
}

/** What a `.exists` reports that an operation changes. */
export interface AuditFields {
  readonly state: string;
  readonly flavor: Flavor;
  readonly launchedAt: string;
  /** `""` unless deleted. */
  readonly deletedAt: string;
}

/** One API request's `_context_*` values. */
export interface RequestContext {
  requestId: string;
  authToken: string | null;
  remoteAddress: string | null;
  timestamp: string;
  isAdmin: boolean;
  roles: readonly string[];
  /** The `_context_*` fields, serialized once per request. */
  fragment: Fragment;
}

/** The values of a step that change along an operation. */
export interface StepState {
  state: string | null;
  flavor: Flavor;
  launchedAt: string;
  deletedAt: string;
  taskState: string | null;
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** A payload (or notification) object with its JSON text. */
export interface Built {
  obj: Record<string, unknown>;
  json: string;
}

export function makeImageMeta(image: Image, imageRef: string): Record<string, string> {
  return {
    container_format: 'ovf',
    min_ram: '512',
    vm_mode: image.osType === 'windows' ? 'hvm' : 'xen',
    base_image_ref: imageRef,
    os_distro: image.osDistro,
    'org.openstack__1__os_distro': image.orgDistro,
    image_type: 'base',
    disk_format: 'vhd',
    'org.openstack__1__architecture': 'x64',
    auto_disk_config: 'disabled',
    min_disk: String(image.minDisk),
    cache_in_nova: 'True',
    os_type: image.osType,
    'org.openstack__1__os_version': image.osVersion,
  };
}

/** The payload fields of an instance that never change, built once per instance. */
export function fixedFields(inst: Omit<OsInstance, 'fixed'>): Fragment {
  return fragment({
    availability_zone: null,
    ephemeral_gb: 0,
    reservation_id: inst.reservationId,
    instance_id: inst.uuid,
    user_id: inst.userId,
    hostname: inst.hostname,
    image_meta: inst.imageMeta,
    metadata: EMPTY,
    node: inst.node,
    ramdisk_id: '',
    kernel_id: '',
    image_name: inst.image.name,
    host: inst.host,
    display_name: inst.displayName,
    image_ref_url: inst.imageRefUrl,
    tenant_id: inst.tenantId,
    created_at: inst.createdAt,
    architecture: 'x64',
    os_type: inst.image.osType,
  });
}

const FLAVOR_FRAGMENTS = new Map<Flavor, Fragment>();

function flavorFields(f: Flavor): Fragment {
  let fr = FLAVOR_FRAGMENTS.get(f);
  if (fr === undefined) {
    fr = fragment({
      instance_type_id: f.id,
      instance_type: f.name,
      instance_flavor_id: f.flavorId,
      memory_mb: f.memoryMb,
      disk_gb: f.diskGb,
      root_gb: f.diskGb,
      vcpus: f.vcpus,
    });
    FLAVOR_FRAGMENTS.set(f, fr);
  }
  return fr;
}

/** JSON text of a string we generated ourselves (no quotes, backslashes or control characters) or null. */
function q(v: string | null): string {
  return v === null ? 'null' : '"' + v + '"';
}

/**
 * Nova's instance info payload (`compute.instance.*`): the fields that change
 * along an operation, the flavor's and the instance's fixed fields, then `extra`
 * (update and audit fields). Built as one object literal (a stable shape) and
 * its JSON text from fragments serialized once; a test checks they agree.
 */
export function instancePayload(inst: OsInstance, s: StepState, extra?: Record<string, unknown>): Built {
  const launched = s.launchedAt !== '';
  const f = s.flavor;
  const ip4 = launched ? inst.ipv4 : null;
  const ip6 = launched ? inst.ipv6 : null;
  const desc = s.taskState ?? '';
  const obj: Record<string, unknown> = {
    state: s.state,
    state_description: desc,
    launched_at: s.launchedAt,
    terminated_at: s.deletedAt,
    deleted_at: s.deletedAt,
    access_ip_v4: ip4,
    access_ip_v6: ip6,
    instance_type_id: f.id,
    instance_type: f.name,
    instance_flavor_id: f.flavorId,
    memory_mb: f.memoryMb,
    disk_gb: f.diskGb,
    root_gb: f.diskGb,
    vcpus: f.vcpus,
    availability_zone: null,
    ephemeral_gb: 0,
    reservation_id: inst.reservationId,
    instance_id: inst.uuid,
    user_id: inst.userId,
    hostname: inst.hostname,
    image_meta: inst.imageMeta,
    metadata: EMPTY,
    node: inst.node,
    ramdisk_id: '',
    kernel_id: '',
    image_name: inst.image.name,
    host: inst.host,
    display_name: inst.displayName,
    image_ref_url: inst.imageRefUrl,
    tenant_id: inst.tenantId,
    created_at: inst.createdAt,
    architecture: 'x64',
    os_type: inst.image.osType,
  };
  let json =
    '{"state":' +
    q(s.state) +
    ',"state_description":' +
    q(desc) +
    ',"launched_at":' +
    q(s.launchedAt) +
    ',"terminated_at":' +
    q(s.deletedAt) +
    ',"deleted_at":' +
    q(s.deletedAt) +
    ',"access_ip_v4":' +
    q(ip4) +
    ',"access_ip_v6":' +
    q(ip6) +
    ',' +
    flavorFields(f).json +
    ',' +
    inst.fixed.json;
  if (extra !== undefined) {
    for (const k in extra) obj[k] = extra[k];
    json += ',' + JSON.stringify(extra).slice(1);
  } else json += '}';
  return { obj, json };
}

/** The scheduler's request spec, shared by the three `scheduler.run_instance.*` notifications. */
export function requestSpec(inst: OsInstance): Record<string, unknown> {
  const f = inst.flavor;
  return {
    num_instances: 1,
    image: {
      status: 'active',
      name: inst.image.name,
      id: inst.imageRef,
      container_format: 'ovf',
      disk_format: 'vhd',
      min_ram: 512,
      min_disk: inst.image.minDisk,
      is_public: true,
      properties: inst.imageMeta,
    },
    instance_type: {
      root_gb: f.diskGb,
      name: f.name,
      ephemeral_gb: 0,
      memory_mb: f.memoryMb,
      vcpus: f.vcpus,
      flavorid: f.flavorId,
      id: f.id,
      swap: 512,
      rxtx_factor: 80.0,
    },
    instance_properties: {
      vm_state: 'building',
      task_state: 'scheduling',
      uuid: inst.uuid,
      display_name: inst.displayName,
      hostname: inst.hostname,
      project_id: inst.tenantId,
      user_id: inst.userId,
      reservation_id: inst.reservationId,
      memory_mb: f.memoryMb,
      vcpus: f.vcpus,
      root_gb: f.diskGb,
      image_ref: inst.imageRef,
      os_type: inst.image.osType,
      architecture: 'x64',
    },
    security_group: ['default'],
    instance_uuids: [inst.uuid],
  };
}

/** What Nova's `wrap_exception` sends (`rebuild_instance`, `terminate_instance`, ...). */
export function exceptionPayload(inst: OsInstance, s: StepState, message: string): Built {
  const obj = {
    exception: { kwargs: { instance_id: inst.uuid, code: 500 }, message },
    args: {
      instance: {
        uuid: inst.uuid,
        vm_state: s.state,
        task_state: s.taskState,
        host: inst.host,
        display_name: inst.displayName,
        project_id: inst.tenantId,
        user_id: inst.userId,
      },
    },
  };
  return { obj, json: JSON.stringify(obj) };
}

/** The `_context_*` fields of one request. */
export function contextFields(inst: OsInstance, c: Omit<RequestContext, 'fragment'>): Fragment {
  return fragment({
    _context_request_id: c.requestId,
    _context_quota_class: null,
    _context_auth_token: c.authToken,
    _context_user_id: inst.userId,
    _context_is_admin: c.isAdmin,
    _context_user: inst.userId,
    _context_remote_address: c.remoteAddress,
    _context_roles: c.roles,
    _context_timestamp: c.timestamp,
    _context_glance_api_servers: null,
    _context_project_name: inst.tenantId,
    _context_read_deleted: 'no',
    _context_tenant: inst.tenantId,
    _context_instance_lock_checked: false,
    _context_project_id: inst.tenantId,
    _context_user_name: inst.userName,
  });
}

/** A whole notification with Nova's `_context_*` fields, its JSON text attached under {@link PRESERIALIZED}. */
export function notification(
  eventType: string,
  timestamp: string,
  publisher: string,
  priority: string,
  messageId: string,
  uniqueId: string,
  ctx: RequestContext,
  inst: OsInstance,
  payload: Built,
): MaybePreserialized {
  const n: MaybePreserialized = {
    message_id: messageId,
    event_type: eventType,
    timestamp,
    publisher_id: publisher,
    priority,
    _unique_id: uniqueId,
    payload: payload.obj,
    _context_request_id: ctx.requestId,
    _context_quota_class: null,
    _context_auth_token: ctx.authToken,
    _context_user_id: inst.userId,
    _context_is_admin: ctx.isAdmin,
    _context_user: inst.userId,
    _context_remote_address: ctx.remoteAddress,
    _context_roles: ctx.roles,
    _context_timestamp: ctx.timestamp,
    _context_glance_api_servers: null,
    _context_project_name: inst.tenantId,
    _context_read_deleted: 'no',
    _context_tenant: inst.tenantId,
    _context_instance_lock_checked: false,
    _context_project_id: inst.tenantId,
    _context_user_name: inst.userName,
  };
  n[PRESERIALIZED] =
    '{"message_id":"' +
    messageId +
    '","event_type":' +
    JSON.stringify(eventType) +
    ',"timestamp":"' +
    timestamp +
    '","publisher_id":' +
    JSON.stringify(publisher) +
    ',"priority":"' +
    priority +
    '","_unique_id":"' +
    uniqueId +
    '","payload":' +
    payload.json +
    ',' +
    ctx.fragment.json +
    '}';
  return n;
}
