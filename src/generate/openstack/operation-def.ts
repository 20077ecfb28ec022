/**
 * The shape of a built-in operation definition: data, not code. The OpenStack
 * scenario interprets these (see openstack-scenario.ts); operations.ts holds them.
 */

/** Seconds: uniform in `[min, max]`, or normal `{ mean, sd }` clamped to `[min, max]`. */
export type Delay =
  | readonly [min: number, max: number]
  | { readonly mean: number; readonly sd: number; readonly min: number; readonly max: number };

/** A VM state of Nova's state machine that an instance can rest in between operations. */
export type VmState = 'active' | 'stopped' | 'rescued' | 'error';

/** Written as `state`/`old_state`: `$` means "the instance's state when the operation began". */
export type StateRef = string | null;

export interface StepDef {
  /**
   * The event type. A leading `.` is relative to the operation's kind:
   * `.start` in `compute.instance.reboot` is `compute.instance.reboot.start`.
   */
  readonly event: string;
  /** Seconds after the previous step (ignored for the first step, which is at the operation start). */
  readonly after: Delay;
  /** Emit this step n times, `[min, max]`, each `after` the previous. */
  readonly repeat?: readonly [number, number];
  /** Which service publishes it: `api.<api-host>`, `scheduler.<host>`, or the instance's `compute.<host>` (default). */
  readonly publisher?: 'api' | 'scheduler' | 'compute';
  /** Payload kind: the instance's info (default), a scheduler request spec, or an exception report. */
  readonly body?: 'instance' | 'scheduler' | 'exception';
  readonly priority?: 'INFO' | 'WARN' | 'ERROR';
  /** `payload.state` (default `$`). */
  readonly state?: StateRef;
  /** For `compute.instance.update`: `old_state`, `old_task_state`, `new_task_state`. */
  readonly old?: StateRef;
  readonly oldTask?: string | null;
  readonly task?: string | null;
  /** The truth record's start / end is this step's timestamp. */
  readonly mark?: 'start' | 'end';
  /** Opens or closes a phase of the truth record. */
  readonly phase?: readonly [name: string, edge: 'start' | 'end'];
  /** From this step on, `launched_at` is this step's time (a build or rebuild finished). */
  readonly launch?: true;
  /** From this step on, `deleted_at` and `terminated_at` are this step's time. */
  readonly terminate?: true;
  /** From this step on, the payload shows the operation's new flavor (resize) or the old one again (revert). */
  readonly flavor?: 'new' | 'old';
  /** From this step on, a new API request (new `_context_request_id`): a confirm after a resize. */
  readonly newRequest?: true;
}

export interface FailureDef {
  /** Probability that the operation fails. */
  readonly p: number;
  /** Fail after emitting this many of the (expanded) normal steps, uniform in `[min, max]`. */
  readonly afterSteps: readonly [number, number];
  /** The steps emitted instead of the rest; one of them is marked `end`. */
  readonly steps: readonly StepDef[];
  /** The instance's state afterwards. */
  readonly to: VmState;
  /** The error text in the payload. */
  readonly message: string;
}

export interface OperationDef {
  /** The truth record's `kind`, and the prefix of relative event names. */
  readonly kind: string;
  /** A label for the mix (`resize-revert`); defaults to the kind's last segment. */
  readonly label?: string;
  /** Relative weight among the operations that can run on an instance in its state. */
  readonly weight: number;
  /** States it can start from; empty for a create (a new instance). */
  readonly from: readonly VmState[];
  /** State afterwards, or `deleted` (the instance is gone). */
  readonly to: VmState | 'deleted';
  readonly steps: readonly StepDef[];
  readonly failure?: FailureDef;
  /** Pick a different flavor for the operation (resize). */
  readonly newFlavor?: true;
}
