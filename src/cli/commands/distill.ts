// Placeholder while the distill command is being written; replaced by its implementation.
import type { Command } from '../command.js';

const command: Command = {
  name: 'distill',
  summary: '',
  usage: 'usage: waymark distill',
  run() {
    return Promise.reject(new Error('waymark distill: not built yet'));
  },
};
export default command;
