// temp helper: node .crop.mjs in.png out.png x y w h
import { chromium } from 'playwright-core';
const [inp, out, x, y, w, h] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: 1400, height: 900 } });
await p.setContent(`<body style="margin:0"><img id="i" src="data:image/png;base64,${(await import('node:fs')).readFileSync(inp).toString('base64')}"></body>`);
await p.locator('#i').waitFor();
await p.screenshot({ path: out, clip: { x: +x, y: +y, width: +w, height: +h }, fullPage: true });
await b.close();
