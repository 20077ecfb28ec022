// Placeholder while the generate command is being written; replaced by its implementation.
import type { Command } from '../command.js';

const command: Command = {
  name: 'generate',
  summary: '',
  usage: 'usage: waymark generate',
  run() {
    return Promise.reject(new Error('waymark generate: not built yet'));
  },
};
export default command;
