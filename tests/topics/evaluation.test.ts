import { describe, expect, it } from 'vitest';
import { scoreTagging } from '../../src/topics/evaluation.ts';

describe('scoreTagging', () => {
  it('micro-averages over (paper, topic) pairs', () => {
    // Paper 1: predicted a,b (a right, b wrong), labels a,c. Paper 2: predicted c, labels c.
    const score = scoreTagging([
      { predicted: { topics: ['a', 'b'], primary: 'a' }, labelled: { topics: ['a', 'c'], primary: 'c' } },
      { predicted: { topics: ['c'], primary: 'c' }, labelled: { topics: ['c'], primary: 'c' } },
    ]);
    expect(score.truePositives).toBe(2);
    expect(score.precision).toBeCloseTo(2 / 3);
    expect(score.recall).toBeCloseTo(2 / 3);
    expect(score.f1).toBeCloseTo(2 / 3);
    expect(score.primaryAccuracy).toBe(0.5);
    expect(score.topInLabels).toBe(1);
  });

  it('is zero, not NaN, with nothing predicted', () => {
    const score = scoreTagging([
      { predicted: { topics: [], primary: null }, labelled: { topics: ['a'], primary: 'a' } },
    ]);
    expect(score).toMatchObject({ precision: 0, recall: 0, f1: 0, primaryAccuracy: 0 });
  });
});
