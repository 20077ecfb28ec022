import type { EventJSON } from '../../server/json-shapes.js';
import { CLIENT_FLAGS, connectApi } from '../api-client.js';
import { OUTPUT_FLAGS, UsageError, parseFlags, writeAll, type Command } from '../command.js';
import { tableText as table } from '../table.js';

const FLAGS = {
  ...CLIENT_FLAGS,
  type: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  trait: { type: 'string', multiple: true },
  limit: { type: 'string' },
  marker: { type: 'string' },
  count: { type: 'boolean' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark events [--type GLOB]... [--from T] [--to T] [--trait NAME=[OP:]VALUE]...
                      [--limit N] [--marker M] [--count] [--json]
       waymark events MESSAGE_ID [--json]

Searches stored events by type (globs), time (from <= timestamp < to) and
traits (OP: lt le eq ne ge gt; default eq), oldest first, from the running
server or straight from the store. --json prints the API's JSON.
Also: --config FILE, --store URL, --server URL.`;

const command: Command = {
  name: 'events',
  summary: 'search stored events by type, time and traits (server or store)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('events', args, FLAGS, { min: 0, max: 1 });
    const api = await connectApi(values, io);
    try {
      const id = positionals[0];
      if (id !== undefined) {
        const e = (await api.request('GET', `/v1/events/${encodeURIComponent(id)}`)) as EventJSON;
        if (values.json === true) await writeAll(io.stdout, JSON.stringify(e) + '\n');
        else {
          await writeAll(
            io.stdout,
            `${e.event_type} ${e.message_id}\n  timestamp ${e.timestamp}\n  received  ${e.received}\n` +
              Object.entries(e.traits)
                .map(([k, v]) => `  ${k}: ${String(v)}\n`)
                .join(''),
          );
        }
        return 0;
      }
      const p = new URLSearchParams();
      for (const t of values.type ?? []) p.append('type', t);
      if (values.from) p.set('from', values.from);
      if (values.to) p.set('to', values.to);
      for (const t of values.trait ?? []) {
        const eq = t.indexOf('=');
        if (eq <= 0) throw new UsageError(`events: --trait expects NAME=[OP:]VALUE, got "${t}"`);
        p.append(`traits.${t.slice(0, eq)}`, t.slice(eq + 1));
      }
      if (values.limit) p.set('limit', values.limit);
      if (values.marker) p.set('marker', values.marker);
      if (values.count === true) p.set('count', 'true');
      const body = (await api.request('GET', `/v1/events?${p.toString()}`)) as
        { events: EventJSON[]; next: string | null } | { count: number };
      if (values.json === true) await writeAll(io.stdout, JSON.stringify(body) + '\n');
      else if ('count' in body) await writeAll(io.stdout, `${body.count}\n`);
      else {
        let out =
          body.events.length === 0
            ? 'no events\n'
            : table(
                ['timestamp', 'event_type', 'message_id', 'traits'],
                body.events.map((e) => [
                  e.timestamp,
                  e.event_type,
                  e.message_id,
                  String(Object.keys(e.traits).length),
                ]),
              );
        if (body.next !== null) out += `more: --marker ${body.next}\n`;
        await writeAll(io.stdout, out);
      }
      return 0;
    } finally {
      await api.close();
    }
  },
};

export default command;
