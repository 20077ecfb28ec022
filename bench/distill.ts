/**
 * distill: parse + distill of generated OpenStack notifications, against
 * `JSON.parse` alone on the same lines (the baseline, same run): the distiller
 * should cost no more than the parse it cannot avoid.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLED_DEFINITIONS, Distiller } from '../src/distill/index.js';
import { openstackCorpus } from './corpus.js';
import { opsPerSecond, type BenchFigure, type BenchSuite } from './lib.js';

const COUNT = 200_000;
/** Compiled to dist/bench/distill.js: the shared reference sits beside the repository. */
const SANDBOX = fileURLToPath(
  new URL('../../../shared/reference/stacktach-configs/sandbox-event_definitions.yaml', import.meta.url),
);

const suite: BenchSuite = {
  title: 'distill',
  run() {
    const lines = openstackCorpus(COUNT, 1);
    const bytes = lines.reduce((n, l) => n + l.length, 0);
    const useSandbox = existsSync(SANDBOX);
    const figures: BenchFigure[] = [];

    const parseOnly = opsPerSecond(
      lines.length,
      () => {
        let sink: unknown;
        for (const l of lines) sink = JSON.parse(l);
        return sink;
      },
      3000,
    );

    const measure = (label: string, file: string, notes: string): void => {
      const d = Distiller.load(file);
      let events = 0;
      for (const l of lines) if (d.distillLine(l).status === 'event') events++;
      const rate = opsPerSecond(
        lines.length,
        () => {
          let sink: unknown;
          for (const l of lines) sink = d.distillLine(l);
          return sink;
        },
        3000,
      );
      figures.push({
        name: `distill (parse + distill), ${label}`,
        value: rate,
        unit: 'notifications/s',
        baseline: { name: 'JSON.parse only', value: parseOnly },
        target: '>= 50% of JSON.parse',
        met: rate >= 0.5 * parseOnly,
        notes: `${lines.length.toLocaleString('en-US')} generated notifications (bench/corpus.ts, seed 1), ${(bytes / lines.length).toFixed(0)} B each on average, ${events.toLocaleString('en-US')} became events; ${notes}`,
      });
    };

    if (useSandbox) {
      measure(
        'sandbox definitions',
        SANDBOX,
        'definitions: ../shared/reference sandbox-event_definitions.yaml',
      );
    }
    measure(
      'bundled definitions',
      BUNDLED_DEFINITIONS,
      `definitions: definitions/openstack.yaml${useSandbox ? '' : ' (the sandbox file is absent: ../shared/reference not beside the clone)'}`,
    );
    return Promise.resolve(figures);
  },
};
export default suite;
