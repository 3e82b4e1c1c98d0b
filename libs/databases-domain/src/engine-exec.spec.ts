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

describe('demuxer without copies', () => {
  it('given one big frame over many chunks and a header split in two, then every stdout byte in order and a multi-byte stderr character whole', async () => {
    const errors: string[] = [];
    const d = demuxer((t) => errors.push(t));
    const out: Buffer[] = [];
    d.on('data', (c: Buffer) => out.push(c));
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const header = Buffer.alloc(8);
    header[0] = 1;
    header.writeUInt32BE(big.length, 4);
    const all = Buffer.concat([header, big, frame(2, 'é!'), frame(1, 'end')]);
    // 7-byte and odd-sized chunks: headers and the two bytes of é fall across chunk boundaries.
    const sizes = [3, 5, 65_536, 7, 100_001];
    let i = 0;
    for (let at = 0; at < all.length; i++) {
      const n = sizes[i % sizes.length];
      d.write(all.subarray(at, at + n));
      at += n;
    }
    d.end();
    await new Promise((r) => d.on('end', r));
    expect(Buffer.concat(out).equals(Buffer.concat([big, Buffer.from('end')]))).toBe(true);
    expect(errors.join('')).toBe('é!');
  });
});
