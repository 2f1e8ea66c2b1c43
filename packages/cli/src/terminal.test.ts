import { afterEach, describe, expect, it } from 'vitest';
import { colorStatus, formatBytes, ProgressBar, palette, Spinner, useColor } from './terminal.js';

/** A stand-in for process.stdout/stderr that records what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { written: string } {
  const stream = {
    isTTY,
    columns: 80,
    written: '',
    write(text: string) {
      stream.written += text;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { written: string };
}

const noColor = process.env.NO_COLOR;
afterEach(() => {
  if (noColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = noColor;
});

describe('colour', () => {
  it('only on a TTY, and never with NO_COLOR set', () => {
    delete process.env.NO_COLOR;
    expect(useColor(fakeStream(true))).toBe(true);
    expect(useColor(fakeStream(false))).toBe(false);
    process.env.NO_COLOR = '1';
    expect(useColor(fakeStream(true))).toBe(false);
    // An empty NO_COLOR does not count (https://no-color.org).
    process.env.NO_COLOR = '';
    expect(useColor(fakeStream(true))).toBe(true);
  });

  it('the palette is plain text off a TTY', () => {
    delete process.env.NO_COLOR;
    expect(palette(fakeStream(false)).red('x')).toBe('x');
    expect(palette(fakeStream(true)).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(colorStatus('succeeded', palette(fakeStream(false)))).toBe('succeeded');
    expect(colorStatus('failed', palette(fakeStream(true)))).toContain('\x1b[31m');
  });
});

describe('Spinner and ProgressBar', () => {
  it('draw nothing off a TTY', () => {
    const stream = fakeStream(false);
    const spinner = new Spinner(stream);
    spinner.update('working');
    spinner.stop();
    const bar = new ProgressBar('Uploading', stream);
    bar.update(5, 10);
    bar.finish();
    expect(bar.enabled).toBe(false);
    expect(stream.written).toBe('');
  });

  it('draw on a TTY, and the spinner erases its line when stopped', () => {
    const stream = fakeStream(true);
    const spinner = new Spinner(stream);
    spinner.update('working');
    expect(stream.written).toContain('working');
    spinner.print('a log line\n');
    expect(stream.written).toContain('a log line\n');
    spinner.stop();
    expect(stream.written.endsWith('\r\x1b[2K')).toBe(true);
    const bar = new ProgressBar('Uploading', stream);
    bar.update(10, 10);
    expect(stream.written).toContain('100% 10 B/10 B');
  });
});

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(25_000_000)).toBe('25 MB');
  });
});
