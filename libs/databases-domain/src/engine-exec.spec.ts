import { demuxer } from './engine-exec';

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('demuxer', () => {
  it('splits Docker\'s multiplexed frames into stdout bytes and stderr text, across chunk boundaries', async () => {
    const errors: string[] = [];
    const d = demuxer((t) => errors.push(t));
    const out: Buffer[] = [];
    d.on('data', (c: Buffer) => out.push(c));
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'warning'), frame(1, 'world')]);
    for (let i = 0; i < all.length; i += 5) d.write(all.subarray(i, i + 5));
    d.end();
    await new Promise((r) => d.on('end', r));
    expect(Buffer.concat(out).toString()).toBe('hello world');
    expect(errors.join('')).toBe('warning');
  });
});
