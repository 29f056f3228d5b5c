import { describe, expect, it } from 'vitest';
import { CONTROL_MARK, fileNameParts, visibleFileName, visibleOverrides } from './bidi';

describe('bidi', () => {
  it('a file name keeps its real extension apart, its controls made visible', () => {
    expect(fileNameParts('invoice\u202Egpj.exe')).toEqual({ base: `invoice${CONTROL_MARK}gpj`, ext: '.exe' });
    expect(fileNameParts('lease.pdf')).toEqual({ base: 'lease', ext: '.pdf' });
    expect(fileNameParts('README')).toEqual({ base: 'README', ext: '' });
    expect(fileNameParts('.bashrc')).toEqual({ base: '.bashrc', ext: '' });
    expect(fileNameParts('photo.\u202Egpj')).toEqual({ base: 'photo', ext: `.${CONTROL_MARK}gpj` });
    expect(visibleFileName('a\u202Ab\u202Cc\u2066d\u2069e\u200Ff')).toBe(`a${CONTROL_MARK}b${CONTROL_MARK}c${CONTROL_MARK}d${CONTROL_MARK}e${CONTROL_MARK}f`);
  });

  it("a message's overrides are made visible; right-to-left writing is kept", () => {
    expect(visibleOverrides('open invoice\u202Egpj.exe')).toBe(`open invoice${CONTROL_MARK}gpj.exe`);
    const hebrew = 'שלום \u200Fעולם'; // a right-to-left mark is ordinary writing
    expect(visibleOverrides(hebrew)).toBe(hebrew);
  });
});
