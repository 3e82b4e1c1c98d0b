import { FrameDemuxer, JsonLinesParser, LineSplitter, demuxDockerStream } from './streams';

describe('LineSplitter', () => {
  it('joins lines split across chunks and keeps the rest for later', () => {
    const s = new LineSplitter();
    expect(s.push('Step 1/3 : FR')).toEqual([]);
    expect(s.push('OM base\nStep 2/3')).toEqual(['Step 1/3 : FROM base']);
    expect(s.push(' : COPY . /\n')).toEqual(['Step 2/3 : COPY . /']);
    expect(s.flush()).toEqual([]);
  });

  it('treats \\r\\n split across chunks as one line end, and bare \\r as a line end', () => {
    const s = new LineSplitter();
    expect(s.push('a\r')).toEqual(['a']);
    expect(s.push('\nb\rc')).toEqual(['b']);
    expect(s.flush()).toEqual(['c']);
  });
});

describe('JsonLinesParser', () => {
  it('parses messages split anywhere and reports malformed lines raw', () => {
    const p = new JsonLinesParser();
    expect(p.push('{"stream":"Step 1/2\\n"}\n{"str')).toEqual([{ stream: 'Step 1/2\n' }]);
    expect(p.push('eam":"x"}\nnot json\n')).toEqual([{ stream: 'x' }, { raw: 'not json' }]);
    expect(p.push('{"aux":{"ID":"sha256:1"}}')).toEqual([]);
    expect(p.flush()).toEqual([{ aux: { ID: 'sha256:1' } }]);
  });
});

describe('demuxDockerStream', () => {
  const frame = (type: number, text: string) => {
    const payload = Buffer.from(text, 'utf8');
    const header = Buffer.alloc(8);
    header[0] = type;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it('splits stdout and stderr frames', () => {
    const buf = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(demuxDockerStream(buf)).toEqual([
      { stream: 'stdout', text: 'out 1\n' },
      { stream: 'stderr', text: 'err 1\n' },
      { stream: 'stdout', text: 'out 2\n' },
    ]);
  });

  it('ignores an incomplete trailing frame and passes unframed (TTY) output through', () => {
    const buf = Buffer.concat([frame(1, 'whole\n'), frame(1, 'cut off').subarray(0, 10)]);
    expect(demuxDockerStream(buf)).toEqual([{ stream: 'stdout', text: 'whole\n' }]);
    expect(demuxDockerStream(Buffer.from('plain tty text\n'))).toEqual([{ stream: 'stdout', text: 'plain tty text\n' }]);
  });
});

describe('FrameDemuxer', () => {
  const header = (type: number, size: number) => {
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(size, 4);
    return h;
  };
  it('holds frames split across chunks until they are whole, keeping stdout and stderr apart', () => {
    const all = Buffer.concat([header(1, 6), Buffer.from('hello\n'), header(2, 4), Buffer.from('oops')]);
    const d = new FrameDemuxer();
    expect(d.push(all.subarray(0, 5))).toEqual([]);
    expect(d.push(all.subarray(5, 16))).toEqual([{ stream: 'stdout', text: 'hello\n' }]);
    expect(d.push(all.subarray(16))).toEqual([{ stream: 'stderr', text: 'oops' }]);
  });
  it('passes a TTY body through as stdout', () => {
    const d = new FrameDemuxer();
    expect(d.push(Buffer.from('plain text here\n'))).toEqual([{ stream: 'stdout', text: 'plain text here\n' }]);
  });
});
