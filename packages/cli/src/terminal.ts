/**
 * What the CLI draws on a terminal: colour, a spinner and a progress bar. All of it is for
 * people, so all of it stays off when the stream is not a TTY (pipes, files, CI logs) — scripts
 * get plain text, and `--json` output is never decorated.
 */

/**
 * Whether to colour what goes to `stream`: only on a TTY, and never when `NO_COLOR` is set to a
 * non-empty value (https://no-color.org).
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** SGR colours for one stream; each is the identity when that stream gets no colour. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** The palette for `stream` (plain text unless {@link useColor}). */
export function palette(stream: NodeJS.WriteStream = process.stdout): Palette {
  const on = useColor(stream);
  const sgr = (open: number, close: number) => (text: string) => (on ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** A prediction status coloured by what it means (green done, red failed, yellow canceled). */
export function colorStatus(status: string, colors: Palette): string {
  if (status === 'succeeded') return colors.green(status);
  if (status === 'failed') return colors.red(status);
  if (status === 'canceled' || status === 'aborted') return colors.yellow(status);
  return colors.cyan(status);
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner with a status text on stderr. It draws only on a TTY: elsewhere every
 * method does nothing, so callers need not check.
 */
export class Spinner {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #text = '';
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
  }

  /** Shows (or keeps showing) the spinner with `text`. */
  update(text: string): void {
    if (!this.#enabled) return;
    this.#text = text;
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#draw(), 80);
      // The spinner must never be what keeps the process alive.
      this.#timer.unref();
    }
    this.#draw();
  }

  /** Erases the spinner's line; it comes back on the next {@link Spinner.update}. */
  stop(): void {
    if (!this.#enabled || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream.write('\r\x1b[2K');
  }

  /** Writes `text` above the spinner (logs, notices) without tearing its line. */
  print(text: string): void {
    const spinning = this.#timer !== undefined;
    if (spinning) this.#stream.write('\r\x1b[2K');
    this.#stream.write(text);
    if (spinning) this.#draw();
  }

  #draw(): void {
    const frame = FRAMES[this.#frame++ % FRAMES.length] as string;
    // A pty without a window size reports 0 columns.
    const width = Math.max(10, (this.#stream.columns || 80) - 3);
    this.#stream.write(`\r\x1b[2K${palette(this.#stream).cyan(frame)} ${this.#text.slice(0, width)}`);
  }
}

/** A progress bar on stderr for a transfer of known size; drawn only on a TTY, like {@link Spinner}. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #label: string;
  readonly #enabled: boolean;
  #lastDraw = 0;

  constructor(label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#label = label;
    this.#enabled = stream.isTTY === true;
  }

  /** True when the bar is drawn (so callers can skip the work of measuring progress otherwise). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Redraws the bar at `done` of `total` bytes (at most every 50 ms, and always at the end). */
  update(done: number, total: number): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (done < total && now - this.#lastDraw < 50) return;
    this.#lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    this.#stream.write(`\r\x1b[2K${this.#label} ${bar} ${percent} ${formatBytes(done)}/${formatBytes(total)}`);
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.#enabled) this.#stream.write('\n');
  }
}

/** `1234567` → `1.2 MB` (decimal units, as file sizes are usually shown). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}
