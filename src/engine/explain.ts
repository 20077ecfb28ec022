import type { WaymarkEvent } from '../model/event.js';
import { distinguishingToJSON } from './distinguishing.js';
import { distinguishingValues } from './distinguishing-values.js';
import type { TriggerDefinition } from './trigger.js';

/** Whether an event matched one trigger, and if not, why. */
export interface TriggerExplanation {
  readonly trigger: string;
  readonly matched: boolean;
  /** Index of the match criterion that matched. */
  readonly criterion: number | null;
  /** The first failing condition of each criterion, when not matched. */
  readonly reason: string | null;
  readonly distinguished_by: Record<string, unknown> | null;
}

/**
 * For each trigger: did the event match, and if not, the first failing
 * condition of each match criterion (or the distinguishing trait it lacks).
 *
 * ```ts
 * explainEvent(triggers, event);
 * // [{ trigger: 'build_time', matched: false, criterion: null,
 * //    reason: 'criterion 0: event_type "compute.instance.update" does not match compute.instance.create.*', … }]
 * ```
 */
export function explainEvent(
  triggers: readonly TriggerDefinition[],
  event: WaymarkEvent,
): TriggerExplanation[] {
  return triggers.map((trigger) => {
    const reasons: string[] = [];
    for (let i = 0; i < trigger.matchCriteria.length; i++) {
      const criterion = trigger.matchCriteria[i] as TriggerDefinition['matchCriteria'][number];
      const why = criterion.check(event);
      if (why !== undefined) {
        reasons.push(trigger.matchCriteria.length === 1 ? why : `criterion ${i}: ${why}`);
        continue;
      }
      const values = distinguishingValues(trigger, event, criterion);
      if (typeof values === 'string') {
        return {
          trigger: trigger.name,
          matched: false,
          criterion: i,
          reason: values,
          distinguished_by: null,
        };
      }
      return {
        trigger: trigger.name,
        matched: true,
        criterion: i,
        reason: null,
        distinguished_by: distinguishingToJSON(values),
      };
    }
    return {
      trigger: trigger.name,
      matched: false,
      criterion: null,
      reason: reasons.join('; '),
      distinguished_by: null,
    };
  });
}
