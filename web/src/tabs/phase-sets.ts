/** The phase sets the server knows (`GET /v1/phases`), fetched once and shared by the analysis views. */
import { getJson, type PhaseSet } from '../api.js';
import { h, replace } from '../dom.js';

let cached: Promise<PhaseSet[]> | undefined;

export function phaseSets(): Promise<PhaseSet[]> {
  cached ??= getJson<{ phase_sets: PhaseSet[] }>('/v1/phases').then(
    (r) => r.phase_sets,
    (e: unknown) => {
      cached = undefined;
      throw e;
    },
  );
  return cached;
}

/** Fill a `<select>` with the sets; resolves with them. */
export async function fillSetSelect(select: HTMLSelectElement): Promise<PhaseSet[]> {
  const sets = await phaseSets();
  const keep = select.value;
  replace(
    select,
    ...sets.map((s) =>
      h('option', { attrs: { value: s.name } }, `${s.name} (by ${s.group_by}, ${s.phases.length} phases)`),
    ),
  );
  if (sets.some((s) => s.name === keep)) select.value = keep;
  return sets;
}
