// Reads the text in an image with tesseract.js (Tesseract 5 compiled to WebAssembly) and the
// English model from @tesseract.js-data/eng: everything comes from node_modules, nothing from
// the network.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';
import Tesseract from 'tesseract.js';

// The English model ships in the data package, gzipped: the integer-quantised "best" LSTM model,
// the one tesseract.js would otherwise download from a CDN for its default engine (LSTM only).
const require = createRequire(import.meta.url);
const langPath = join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');

/** Page segmentation modes (Tesseract's --psm) by the names callers pick. */
const LAYOUTS = {
  auto: Tesseract.PSM.AUTO,
  single_column: Tesseract.PSM.SINGLE_COLUMN,
  single_block: Tesseract.PSM.SINGLE_BLOCK,
  single_line: Tesseract.PSM.SINGLE_LINE,
  single_word: Tesseract.PSM.SINGLE_WORD,
  sparse_text: Tesseract.PSM.SPARSE_TEXT,
} as const;
type Layout = keyof typeof LAYOUTS;

// One Tesseract worker (a worker thread, so recognising never blocks the server), made in setup
// and reused by every prediction.
let worker: Tesseract.Worker;

const box = Output.object({ x0: Output.integer(), y0: Output.integer(), x1: Output.integer(), y1: Output.integer() });
const round = (n: number) => Math.round(n * 100) / 100;

export const Predictor = definePredictor({
  inputs: {
    image: Input.path({ description: 'An image with text in it: PNG, JPEG, WebP, GIF or BMP' }),
    layout: Input.string({
      description:
        "How the text is laid out (Tesseract's page segmentation mode): auto finds columns and blocks itself; " +
        'the others say what the image holds (a line, a word, text scattered here and there...)',
      choices: Object.keys(LAYOUTS) as Layout[],
      default: 'auto',
    }),
  },
  output: Output.object({
    text: Output.string(),
    confidence: Output.number(),
    words: Output.array(Output.object({ text: Output.string(), confidence: Output.number(), bbox: box })),
  }),

  async setup() {
    worker = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
      langPath,
      gzip: true,
      // By default tesseract.js keeps a copy of the model in the working folder: not needed, it is local.
      cacheMethod: 'none',
    });
    console.log(`tesseract.js ready: eng from ${langPath}`);
  },

  async predict({ image, layout }) {
    await worker.setParameters({ tessedit_pageseg_mode: LAYOUTS[layout] });
    const { data } = await worker.recognize(image, {}, { text: true, blocks: true }).catch((error: unknown) => {
      // tesseract.js rejects with a bare string such as "Error: Error attempting to read image."
      throw new Error(`could not read the image (PNG, JPEG, WebP, GIF and BMP work): ${String(error).replace(/^(Error: )+/, '')}`);
    });
    const words = (data.blocks ?? []).flatMap((block) =>
      block.paragraphs.flatMap((paragraph) =>
        paragraph.lines.flatMap((line) =>
          line.words.map((word) => ({ text: word.text, confidence: round(word.confidence), bbox: word.bbox })),
        ),
      ),
    );
    console.log(`read ${words.length} words, mean confidence ${round(data.confidence)}`);
    return { text: data.text.trimEnd(), confidence: round(data.confidence), words };
  },
});
