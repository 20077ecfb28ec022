import type { OperationDef, StepDef } from './operation-def.js';

/*
 * The built-in OpenStack (Nova) operations, modelled on captured notifications:
 * event types and task-state transitions as Nova writes them, timings with the
 * spread seen in real clouds. `$` is the instance's state when the operation began.
 */

const UPDATE = 'compute.instance.update';
const quick = [0.1, 0.35] as const;
const blink = [0.02, 0.06] as const;

/** `compute.instance.update` with the given state transition. */
function update(
  after: StepDef['after'],
  state: string | null,
  old: string | null,
  oldTask: string | null,
  task: string | null,
  extra: Partial<StepDef> = {},
): StepDef {
  return { event: UPDATE, after, state, old, oldTask, task, ...extra };
}

export const CREATE: OperationDef = {
  kind: 'compute.instance.create',
  weight: 0, // the scenario weighs creates by how many instances exist
  from: [],
  to: 'active',
  steps: [
    update([0, 0], 'building', null, null, 'scheduling', { publisher: 'api' }),
    {
      event: 'scheduler.run_instance.start',
      after: [0.25, 0.6],
      publisher: 'scheduler',
      body: 'scheduler',
      phase: ['scheduling', 'start'],
    },
    {
      event: 'scheduler.run_instance.scheduled',
      after: [0.25, 0.45],
      publisher: 'scheduler',
      body: 'scheduler',
    },
    {
      event: 'scheduler.run_instance.end',
      after: [0.08, 0.15],
      publisher: 'scheduler',
      body: 'scheduler',
      phase: ['scheduling', 'end'],
    },
    update([0.15, 0.4], 'building', 'building', 'scheduling', null),
    { event: '.start', after: [0.2, 0.3], state: 'building', mark: 'start', phase: ['build', 'start'] },
    update([0.1, 0.2], 'building', null, null, null),
    update([0.15, 0.35], 'building', 'building', null, 'networking', { phase: ['networking', 'start'] }),
    update(
      { mean: 1.5, sd: 1.2, min: 0.15, max: 8 },
      'building',
      'building',
      'networking',
      'block_device_mapping',
      { phase: ['networking', 'end'] },
    ),
    update([0.15, 0.25], 'building', null, null, 'block_device_mapping'),
    update([0.2, 0.3], 'building', 'building', 'block_device_mapping', 'spawning', {
      phase: ['spawning', 'start'],
    }),
    update({ mean: 4.5, sd: 3.5, min: 0.15, max: 20 }, 'building', null, null, 'spawning', {
      repeat: [8, 12],
    }),
    update([0.3, 1], 'active', 'building', 'spawning', null, { launch: true, phase: ['spawning', 'end'] }),
    { event: '.end', after: blink, state: 'active', mark: 'end', phase: ['build', 'end'] },
  ],
  failure: {
    p: 0.03,
    afterSteps: [7, 16],
    steps: [
      update({ mean: 6, sd: 4, min: 0.2, max: 30 }, 'error', 'building', 'spawning', null),
      {
        event: '.error',
        after: blink,
        state: 'error',
        priority: 'ERROR',
        mark: 'end',
        phase: ['build', 'end'],
      },
    ],
    to: 'error',
    message: 'Build of instance aborted: Failed to spawn',
  },
};

export const DELETE: OperationDef = {
  kind: 'compute.instance.delete',
  weight: 8,
  from: ['active', 'stopped', 'rescued', 'error'],
  to: 'deleted',
  steps: [
    update([0, 0], '$', '$', null, 'deleting', { publisher: 'api' }),
    update(quick, '$', null, null, null),
    update([0.2, 0.4], '$', '$', null, 'deleting'),
    { event: '.start', after: [1, 4], mark: 'start' },
    { event: 'compute.instance.shutdown.start', after: blink, phase: ['shutdown', 'start'] },
    {
      event: 'compute.instance.shutdown.end',
      after: { mean: 15, sd: 8, min: 1, max: 60 },
      phase: ['shutdown', 'end'],
    },
    update([0.1, 0.3], 'deleted', '$', 'deleting', null, { terminate: true }),
    { event: '.end', after: [0.1, 0.3], state: 'deleted', mark: 'end' },
  ],
  failure: {
    p: 0.01,
    afterSteps: [5, 5],
    steps: [
      update([0.3, 1], 'error', '$', 'deleting', null),
      { event: 'terminate_instance', after: blink, body: 'exception', priority: 'ERROR', mark: 'end' },
    ],
    to: 'error',
    message: 'Failed to terminate instance',
  },
};

const RESIZE_STEPS: readonly StepDef[] = [
  update([0, 0], 'active', 'active', null, 'resize_prep', { publisher: 'api' }),
  { event: '.prep.start', after: [0.3, 1], mark: 'start', phase: ['prep', 'start'] },
  { event: '.prep.end', after: [0.1, 0.5], phase: ['prep', 'end'] },
  update([0.5, 2], 'active', 'active', 'resize_prep', 'resize_migrating'),
  { event: '.start', after: quick, phase: ['migrate', 'start'] },
  update({ mean: 40, sd: 20, min: 5, max: 200 }, 'active', 'active', 'resize_migrating', 'resize_migrated'),
  { event: '.end', after: quick, phase: ['migrate', 'end'] },
  update([0.3, 1], 'active', 'active', 'resize_migrated', 'resize_finish', { flavor: 'new' }),
  { event: 'compute.instance.finish_resize.start', after: [0.05, 0.2], phase: ['finish', 'start'] },
  update({ mean: 20, sd: 10, min: 3, max: 90 }, 'resized', 'active', 'resize_finish', null),
  {
    event: 'compute.instance.finish_resize.end',
    after: [0.05, 0.2],
    state: 'resized',
    phase: ['finish', 'end'],
  },
];

export const RESIZE_CONFIRM: OperationDef = {
  kind: 'compute.instance.resize',
  label: 'resize-confirm',
  weight: 4,
  from: ['active'],
  to: 'active',
  newFlavor: true,
  steps: [
    ...RESIZE_STEPS,
    // the user confirms later, in a new API request
    update({ mean: 120, sd: 80, min: 10, max: 600 }, 'resized', 'resized', null, 'deleting', {
      publisher: 'api',
      newRequest: true,
    }),
    { event: '.confirm.start', after: [0.2, 0.6], state: 'resized', phase: ['confirm', 'start'] },
    update([0.2, 0.3], 'resized', null, null, 'deleting'),
    update({ mean: 3, sd: 1.5, min: 0.5, max: 10 }, 'active', 'resized', 'deleting', null),
    { event: '.confirm.end', after: blink, state: 'active', mark: 'end', phase: ['confirm', 'end'] },
  ],
};

export const RESIZE_REVERT: OperationDef = {
  kind: 'compute.instance.resize',
  label: 'resize-revert',
  weight: 1,
  from: ['active'],
  to: 'active',
  newFlavor: true,
  steps: [
    ...RESIZE_STEPS,
    update({ mean: 120, sd: 80, min: 10, max: 600 }, 'resized', 'resized', null, 'resize_reverting', {
      publisher: 'api',
      newRequest: true,
    }),
    { event: '.revert.start', after: [0.2, 0.6], state: 'resized', phase: ['revert', 'start'] },
    update({ mean: 25, sd: 10, min: 3, max: 90 }, 'active', 'resized', 'resize_reverting', null, {
      flavor: 'old',
    }),
    { event: '.revert.end', after: blink, state: 'active', mark: 'end', phase: ['revert', 'end'] },
  ],
};

export const REBUILD: OperationDef = {
  kind: 'compute.instance.rebuild',
  weight: 3,
  from: ['active', 'stopped'],
  to: 'active',
  steps: [
    update([0, 0], '$', '$', null, 'rebuilding', { publisher: 'api' }),
    update(quick, '$', null, null, 'rebuilding'),
    { event: '.start', after: [0.5, 1.2], mark: 'start' },
    update([0.3, 0.6], '$', null, null, 'rebuilding'),
    update({ mean: 12, sd: 5, min: 2, max: 40 }, '$', '$', 'rebuilding', 'rebuild_block_device_mapping'),
    update([0.1, 0.3], '$', '$', 'rebuild_block_device_mapping', 'rebuild_spawning', {
      phase: ['spawning', 'start'],
    }),
    update({ mean: 10, sd: 6, min: 0.2, max: 40 }, '$', null, null, 'rebuild_spawning', { repeat: [2, 5] }),
    update([0.2, 0.6], 'active', '$', 'rebuild_spawning', null, { launch: true, phase: ['spawning', 'end'] }),
    { event: '.end', after: blink, state: 'active', mark: 'end' },
  ],
  failure: {
    p: 0.03,
    afterSteps: [5, 7],
    steps: [
      {
        event: 'rebuild_instance',
        after: { mean: 60, sd: 40, min: 1, max: 200 },
        body: 'exception',
        priority: 'ERROR',
        mark: 'end',
      },
    ],
    to: 'error',
    message: 'Instance rebuild failed',
  },
};

export const SNAPSHOT: OperationDef = {
  kind: 'compute.instance.snapshot',
  weight: 6,
  from: ['active', 'stopped'],
  to: 'active',
  steps: [
    update([0, 0], '$', '$', null, 'image_snapshot_pending', { publisher: 'api' }),
    update([0.15, 0.3], '$', '$', null, 'image_snapshot_pending'),
    update([0.15, 0.3], '$', '$', 'image_snapshot_pending', 'image_snapshot'),
    update([0.3, 0.6], '$', null, null, 'image_snapshot'),
    { event: '.start', after: blink, mark: 'start' },
    update([1, 4], '$', '$', 'image_snapshot', 'image_pending_upload'),
    update({ mean: 60, sd: 40, min: 2, max: 300 }, '$', '$', 'image_pending_upload', 'image_uploading', {
      phase: ['upload', 'start'],
    }),
    update({ mean: 300, sd: 150, min: 20, max: 1200 }, '$', '$', 'image_uploading', null, {
      phase: ['upload', 'end'],
    }),
    { event: '.end', after: blink, mark: 'end' },
  ],
  failure: {
    p: 0.02,
    afterSteps: [6, 7],
    steps: [
      update({ mean: 120, sd: 60, min: 5, max: 600 }, '$', '$', 'image_pending_upload', null),
      { event: 'snapshot_instance', after: blink, body: 'exception', priority: 'ERROR', mark: 'end' },
    ],
    to: 'active',
    message: 'Image upload failed',
  },
};

export const REBOOT: OperationDef = {
  kind: 'compute.instance.reboot',
  weight: 8,
  from: ['active'],
  to: 'active',
  steps: [
    update([0, 0], 'active', 'active', null, 'rebooting', { publisher: 'api' }),
    update([0.5, 1], 'active', 'active', null, 'rebooting'),
    { event: '.start', after: [0.3, 0.6], mark: 'start' },
    update([0.3, 0.5], 'active', null, null, 'rebooting'),
    update({ mean: 60, sd: 35, min: 5, max: 240 }, 'active', 'active', 'rebooting', null),
    { event: '.end', after: blink, mark: 'end' },
  ],
};

export const POWER_OFF: OperationDef = {
  kind: 'compute.instance.power_off',
  weight: 4,
  from: ['active'],
  to: 'stopped',
  steps: [
    update([0, 0], 'active', 'active', null, 'powering-off', { publisher: 'api' }),
    { event: '.start', after: [0.1, 0.3], mark: 'start' },
    update({ mean: 3, sd: 4, min: 0.4, max: 60 }, 'stopped', 'active', 'powering-off', null),
    { event: '.end', after: blink, state: 'stopped', mark: 'end' },
  ],
};

export const POWER_ON: OperationDef = {
  kind: 'compute.instance.power_on',
  weight: 12,
  from: ['stopped'],
  to: 'active',
  steps: [
    update([0, 0], 'stopped', 'stopped', null, 'powering-on', { publisher: 'api' }),
    { event: '.start', after: [0.1, 0.3], mark: 'start' },
    update({ mean: 8, sd: 5, min: 1, max: 60 }, 'active', 'stopped', 'powering-on', null),
    { event: '.end', after: blink, state: 'active', mark: 'end' },
  ],
};

export const RESCUE: OperationDef = {
  kind: 'compute.instance.rescue',
  weight: 2,
  from: ['active'],
  to: 'rescued',
  steps: [
    update([0, 0], 'active', 'active', null, 'rescuing', { publisher: 'api' }),
    update([0.2, 0.3], 'active', null, null, null),
    update([0.1, 0.2], 'active', 'active', null, 'rescuing'),
    { event: '.start', after: [0.5, 1.5], mark: 'start' },
    update({ mean: 20, sd: 10, min: 2, max: 90 }, 'rescued', 'active', 'rescuing', null),
    { event: '.end', after: blink, state: 'rescued', mark: 'end' },
  ],
  failure: {
    p: 0.03,
    afterSteps: [4, 4],
    steps: [
      update([0.2, 0.4], 'active', 'active', 'rescuing', null),
      { event: 'rescue_instance', after: blink, body: 'exception', priority: 'ERROR', mark: 'end' },
    ],
    to: 'error',
    message: 'Instance rescue failed',
  },
};

export const UNRESCUE: OperationDef = {
  kind: 'compute.instance.unrescue',
  weight: 12,
  from: ['rescued'],
  to: 'active',
  steps: [
    update([0, 0], 'rescued', 'rescued', null, 'unrescuing', { publisher: 'api' }),
    update([0.1, 0.2], 'rescued', null, null, null),
    update([0.05, 0.1], 'rescued', 'rescued', null, 'unrescuing'),
    { event: '.start', after: [0.4, 0.8], mark: 'start' },
    update({ mean: 25, sd: 10, min: 2, max: 90 }, 'active', 'rescued', 'unrescuing', null),
    { event: '.end', after: blink, state: 'active', mark: 'end' },
  ],
};

/** Every operation on an existing instance, in the mix. */
export const INSTANCE_OPERATIONS: readonly OperationDef[] = [
  DELETE,
  RESIZE_CONFIRM,
  RESIZE_REVERT,
  REBUILD,
  SNAPSHOT,
  REBOOT,
  POWER_OFF,
  POWER_ON,
  RESCUE,
  UNRESCUE,
];
