import type { StreamJSON, EventJSON } from '../../server/json-shapes.js';
import { CLIENT_FLAGS, connectApi } from '../api-client.js';
import { OUTPUT_FLAGS, UsageError, intFlag, parseFlags, writeAll, type Command } from '../command.js';
import { tableText as table } from '../table.js';

const FLAGS = {
  ...CLIENT_FLAGS,
  state: { type: 'string', multiple: true },
  trigger: { type: 'string' },
  dist: { type: 'string', multiple: true },
  'older-than': { type: 'string' },
  'younger-than': { type: 'string' },
  limit: { type: 'string' },
  marker: { type: 'string' },
  count: { type: 'boolean' },
  yes: { type: 'boolean' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark streams [--state S]... [--trigger T] [--dist TRAIT=VALUE]... [--older-than T]
                       [--younger-than T] [--limit N] [--marker M] [--count] [--json]
       waymark streams show ID [--json]        a stream with its events
       waymark streams delete ID --yes         delete a stream (its events stay)
       waymark streams reset ID                put a stream back to active (needs a running server)

Lists streams, newest id last, from the running server (--server URL, or the
config's http address) or, when none answers, straight from the store.
--json prints the API's JSON (product.md's stream shape).
Also: --config FILE, --store URL, --server URL.`;

function fmtTime(t: string | null): string {
  return t === null ? '-' : t.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function streamRows(streams: readonly StreamJSON[]): string {
  return table(
    ['id', 'trigger', 'state', 'distinguished by', 'events', 'first', 'last', 'outcome'],
    streams.map((s) => [
      String(s.id),
      s.trigger,
      s.state,
      Object.entries(s.distinguished_by)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? `${fmtTime(v.begin)}..` : String(v)}`)
        .join(' '),
      String(s.event_count),
      fmtTime(s.first),
      fmtTime(s.last),
      s.outcome ?? '-',
    ]),
  );
}

const command: Command = {
  name: 'streams',
  summary: 'list, show, delete or reset streams (server or store)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('streams', args, FLAGS, { min: 0, max: 2 });
    const action = positionals[0];
    const idText = positionals[1];
    if (action !== undefined && !['show', 'delete', 'reset'].includes(action)) {
      throw new UsageError(`streams: unknown action "${action}"; expected show, delete or reset`);
    }
    if (action !== undefined && idText === undefined)
      throw new UsageError(`streams ${action}: which stream? give its id`);
    const id = idText === undefined ? undefined : intFlag('streams', 'id', idText, 1);
    if (action === 'delete' && values.yes !== true) {
      throw new UsageError(
        `streams delete ${id}: add --yes to confirm (the stream and its membership are deleted)`,
      );
    }
    const api = await connectApi(values, io);
    try {
      if (action === 'show') {
        const s = (await api.request('GET', `/v1/streams/${id}`)) as StreamJSON & { events: EventJSON[] };
        if (values.json === true) {
          await writeAll(io.stdout, JSON.stringify(s) + '\n');
          return 0;
        }
        let out = streamRows([s]);
        out += `expire_at ${fmtTime(s.expire_at)}  fire_at ${fmtTime(s.fire_at)}  attempts ${s.attempts}${s.last_error ? `  last error: ${s.last_error}` : ''}\n\n`;
        out += table(
          ['timestamp', 'event_type', 'message_id'],
          s.events.map((e) => [fmtTime(e.timestamp), e.event_type, e.message_id]),
        );
        await writeAll(io.stdout, out);
        return 0;
      }
      if (action === 'delete') {
        await api.request('DELETE', `/v1/streams/${id}`);
        await writeAll(io.stdout, `deleted stream ${id}\n`);
        return 0;
      }
      if (action === 'reset') {
        const s = (await api.request('PUT', `/v1/streams/${id}`, { state: 'active' })) as StreamJSON;
        await writeAll(
          io.stdout,
          values.json === true
            ? JSON.stringify(s) + '\n'
            : s.state === 'completed'
              ? // A pure pipeline (meters, counts, logs) runs in the reset's own commit.
                `stream ${id} ran again: ${s.outcome ?? 'completed'}\n`
              : `stream ${id} is ${s.state} again\n`,
        );
        return 0;
      }
      const p = new URLSearchParams();
      if (values.state) p.set('state', values.state.join(','));
      if (values.trigger) p.set('trigger', values.trigger);
      for (const d of values.dist ?? []) {
        const eq = d.indexOf('=');
        if (eq <= 0) throw new UsageError(`streams: --dist expects TRAIT=VALUE, got "${d}"`);
        p.append(`distinguished_by.${d.slice(0, eq)}`, d.slice(eq + 1));
      }
      if (values['older-than']) p.set('older_than', values['older-than']);
      if (values['younger-than']) p.set('younger_than', values['younger-than']);
      if (values.limit) p.set('limit', values.limit);
      if (values.marker) p.set('marker', values.marker);
      if (values.count === true) p.set('count', 'true');
      const body = (await api.request('GET', `/v1/streams?${p.toString()}`)) as
        { streams: StreamJSON[]; next: string | null } | { count: number };
      if (values.json === true) {
        await writeAll(io.stdout, JSON.stringify(body) + '\n');
      } else if ('count' in body) {
        await writeAll(io.stdout, `${body.count}\n`);
      } else {
        let out = body.streams.length === 0 ? 'no streams\n' : streamRows(body.streams);
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
