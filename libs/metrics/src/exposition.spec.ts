import { mergeExpositions } from './exposition';

describe('mergeExpositions', () => {
  it('given two processes with the same family, then one HELP/TYPE and both samples, families contiguous', () => {
    const a = '# HELP x_total X\n# TYPE x_total counter\nx_total{service="a"} 1\n# HELP y Y\n# TYPE y gauge\ny{service="a"} 2\n';
    const b = '# HELP x_total X\n# TYPE x_total counter\nx_total{service="b"} 3\n';
    expect(mergeExpositions([a, b])).toBe(
      '# HELP x_total X\n# TYPE x_total counter\nx_total{service="a"} 1\nx_total{service="b"} 3\n# HELP y Y\n# TYPE y gauge\ny{service="a"} 2\n',
    );
  });

  it('keeps a histogram\'s _bucket, _sum and _count under its family', () => {
    const a = '# HELP h H\n# TYPE h histogram\nh_bucket{le="1",service="a"} 1\nh_sum{service="a"} 0.5\nh_count{service="a"} 1\n';
    const b = '# HELP h H\n# TYPE h histogram\nh_bucket{le="1",service="b"} 2\nh_sum{service="b"} 1\nh_count{service="b"} 2\n';
    const merged = mergeExpositions([a, b]).split('\n');
    expect(merged.filter((l) => l.startsWith('# TYPE'))).toEqual(['# TYPE h histogram']);
    expect(merged.filter((l) => l.startsWith('h_'))).toHaveLength(6);
  });
});
