import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { linesOf } from '../../src/cli/input.js';

/** Every line `linesOf` yields for these chunks, in order. */
async function read(chunks: readonly (Buffer | string)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const lines of linesOf(Readable.from(chunks, { objectMode: true }), 'test input'))
    out.push(...lines);
  return out;
}

/** `text`'s bytes cut into chunks of `size` bytes (cuts fall anywhere, inside characters too). */
function cut(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const TEXT =
  '{"a":"héllo wörld ✓ 🚀"}\r\n' +
  '\n' +
  '{"b":"' +
  'x'.repeat(50) +
  '"}\n' +
  '   \r\n' +
  '{"c":"日本語のテキスト"}\n' +
  '{"d":"no line end at the end"}';
const EXPECTED = [
  '{"a":"héllo wörld ✓ 🚀"}',
  '',
  `{"b":"${'x'.repeat(50)}"}`,
  '   ',
  '{"c":"日本語のテキスト"}',
  '{"d":"no line end at the end"}',
];

test('linesOf: the same lines whatever the chunk boundaries (inside multi-byte characters, between \\r and \\n, lines over many chunks)', async () => {
  for (const size of [1, 2, 3, 5, 7, 16, 31, 64, 1000]) {
    assert.deepEqual(await read(cut(TEXT, size)), EXPECTED, `chunks of ${size} bytes`);
  }
});

test('linesOf: text chunks (a stream with an encoding set) read like bytes', async () => {
  assert.deepEqual(await read([TEXT.slice(0, 10), TEXT.slice(10, 40), TEXT.slice(40)]), EXPECTED);
});

test('linesOf: a final line end yields no extra empty line; an empty input yields no line', async () => {
  assert.deepEqual(await read(['a\nb\n']), ['a', 'b']);
  assert.deepEqual(await read(['a\r\n']), ['a']);
  assert.deepEqual(await read([]), []);
});

test('linesOf: invalid UTF-8 becomes U+FFFD and does not swallow the line end', async () => {
  const bytes = Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}\nnext\n')]);
  assert.deepEqual(await read([bytes]), ['{"x":"\uFFFD\uFFFD"}', 'next']);
});

test('linesOf: a read error names the input', async () => {
  const failing = new Readable({
    read() {
      this.destroy(new Error('EIO: disk on fire'));
    },
  });
  await assert.rejects(
    async () => {
      for await (const lines of linesOf(failing, 'events.jsonl')) assert.ok(lines);
    },
    (e: Error) => /cannot read input events\.jsonl: EIO: disk on fire/.test(e.message),
  );
});
