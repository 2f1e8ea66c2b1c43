/** The CLI's version (`replicant --version`, and its `User-Agent`). */
export const VERSION = '0.1.0';
