import type { ExplainEntry } from '../../server/backend.js';
import { CLIENT_FLAGS, connectApi } from '../api-client.js';
import { OUTPUT_FLAGS, parseFlags, writeAll, type Command } from '../command.js';

const FLAGS = { ...CLIENT_FLAGS, ...OUTPUT_FLAGS } as const;

const USAGE = `usage: waymark explain MESSAGE_ID [--json]

For a stored event: each trigger, whether the event matched it (with the
distinguishing values and the streams it joined) or the first condition that
failed. From the running server or straight from the store.
Also: --config FILE, --store URL, --server URL.`;

const command: Command = {
  name: 'explain',
  summary: 'why an event did or did not match each trigger',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('explain', args, FLAGS, { min: 1, max: 1 });
    const id = positionals[0] as string;
    const api = await connectApi(values, io);
    try {
      const body = (await api.request('GET', `/v1/events/${encodeURIComponent(id)}/explain`)) as {
        message_id: string;
        triggers: ExplainEntry[];
      };
      if (values.json === true) {
        await writeAll(io.stdout, JSON.stringify(body) + '\n');
        return 0;
      }
      let out = `event ${body.message_id}\n`;
      for (const t of body.triggers) {
        out += t.matched
          ? `  ${t.trigger}: matched (criterion ${t.criterion}) ${JSON.stringify(t.distinguished_by)}; streams ${t.streams.join(', ') || 'none'}\n`
          : `  ${t.trigger}: no — ${t.reason}\n`;
      }
      await writeAll(io.stdout, out);
      return 0;
    } finally {
      await api.close();
    }
  },
};

export default command;
