// The common workflows of Replicate's Node SDK documentation, written as the docs write them,
// against Replicant: only the import and the base URL differ.
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Replicate from '@replicant/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';

const MODELS = fileURLToPath(new URL('./fixtures/workflow-models', import.meta.url));

describe('workflows from the Replicate Node SDK docs', () => {
  let platform: Platform;
  let replicate: Replicate;
  beforeAll(async () => {
    platform = await Platform.start({ models: [MODELS] });
    replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.url });
  });
  afterAll(() => platform.stop());

  it('an image pipeline: run a model with file outputs and save them', async () => {
    const output = (await replicate.run('local/painter', {
      input: { prompt: 'an astronaut riding a horse', num_outputs: 2 },
    })) as unknown[];
    const dir = tmpdir();
    for (const [index, item] of Object.entries(output)) {
      // As the docs do it: fs.writeFile takes the FileOutput stream directly.
      await writeFile(join(dir, `output_${index}.svg`), item as ReadableStream<Uint8Array>);
    }
    const saved = await readFile(join(dir, 'output_1.svg'), 'utf8');
    expect(saved).toContain('an astronaut riding a horse #1');
    expect(String((output[0] as { url(): URL }).url())).toMatch(/^data:image\/svg\+xml;base64,/);
  });

  it('batch processing: several prompts at once with Promise.all', async () => {
    const prompts = ['a red fox', 'a blue whale', 'a green turtle', 'a yellow bird', 'a white cat'];
    const outputs = await Promise.all(prompts.map((prompt) => replicate.run('local/painter', { input: { prompt } })));
    const texts = await Promise.all(outputs.map(async (output) => (await (output as { blob(): Promise<Blob> }[])[0]?.blob())?.text()));
    for (const [i, prompt] of prompts.entries()) expect(texts[i]).toContain(`${prompt} #0`);
  });

  it('a chat loop with history over stream()', async () => {
    const history: string[] = [];
    const replies: string[] = [];
    for (const message of ['hello there', 'what is the weather', 'thank you']) {
      history.push(`User: ${message}`);
      let reply = '';
      for await (const event of replicate.stream('local/chat', {
        input: { prompt: history.join('\n'), system_prompt: 'You are terse.' },
      })) {
        if (event.event === 'output') reply += event.toString();
      }
      history.push(`Assistant: ${reply.trim()}`);
      replies.push(reply.trim());
    }
    expect(replies).toEqual([
      '(system, 0 earlier turns) you said: hello there',
      '(system, 1 earlier turns) you said: what is the weather',
      '(system, 2 earlier turns) you said: thank you',
    ]);
  });

  it('an async prediction with polling', async () => {
    const model = await replicate.models.get('local', 'painter');
    let prediction = await replicate.predictions.create({ version: model.latest_version?.id as string, input: { prompt: 'a lighthouse' } });
    expect(prediction.status).toBe('starting');
    while (!['succeeded', 'failed', 'canceled'].includes(prediction.status)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      prediction = await replicate.predictions.get(prediction.id);
    }
    expect(prediction.status).toBe('succeeded');
    const [url] = prediction.output as string[];
    expect(await (await fetch(url as string)).text()).toContain('a lighthouse #0');
    // The same with the helper the docs show.
    const again = await replicate.wait(
      await replicate.predictions.create({ version: model.latest_version?.id as string, input: { prompt: 'a bridge' } }),
    );
    expect(again.status).toBe('succeeded');
  });
});
