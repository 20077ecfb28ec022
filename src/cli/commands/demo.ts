// Placeholder while the demo command is being written; replaced by its implementation.
import type { Command } from '../command.js';

const command: Command = {
  name: 'demo',
  summary: '',
  usage: 'usage: waymark demo',
  run() {
    return Promise.reject(new Error('waymark demo: not built yet'));
  },
};
export default command;
