import { progressBar } from './main';

describe(progressBar.name, () => {
  it('fills its cells to the fraction done, bounded to 0–100 %', () => {
    expect(progressBar(0, 10)).toBe('[░░░░░░░░░░]   0%');
    expect(progressBar(0.45, 10)).toBe('[█████░░░░░]  45%');
    expect(progressBar(1, 10)).toBe('[██████████] 100%');
    expect(progressBar(1.7, 4)).toBe('[████] 100%');
    expect(progressBar(-1, 4)).toBe('[░░░░]   0%');
  });
});
