import { describe, expect, it } from 'vitest';
import { fileSize } from './format';

describe('fileSize', () => {
  it('reads as bytes, kilobytes or megabytes', () => {
    expect(fileSize(0)).toBe('0 B');
    expect(fileSize(1023)).toBe('1023 B');
    expect(fileSize(1536)).toBe('1.5 KB');
    expect(fileSize(25 * 1024 * 1024)).toBe('25.0 MB');
  });
});
