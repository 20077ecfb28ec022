// Placeholder while the timex command is being written; replaced by its implementation.
import type { Command } from '../command.js';

const command: Command = {
  name: 'timex',
  summary: '',
  usage: 'usage: waymark timex',
  run() {
    return Promise.reject(new Error('waymark timex: not built yet'));
  },
};
export default command;
